//! `notes.csv` (docs/api.md, Export): the war-room log — notes people
//! wrote and every alert fired and resolved — one row per entry, by time.
//! Text comes from outside, so every text cell is defused (`table`).

use super::facts::Facts;
use super::table::{Csv, n, t};

pub fn notes(f: &Facts) -> Vec<u8> {
    let mut c = Csv::new(&["id", "ts", "at", "kind", "scope", "author", "rule", "text"]);
    for e in &f.notes {
        c.row(vec![
            t(&e.id),
            n(e.ts),
            t(&e.at),
            t(e.kind.as_str()),
            t(&e.scope),
            t(e.author.clone().unwrap_or_default()),
            t(e.rule.clone().unwrap_or_default()),
            t(&e.text),
        ]);
    }
    c.finish()
}
