//! Any text as a config file with its CSV catalogs: an error or a config,
//! never a panic.
//!
//! The input is split at lines holding only `%%`: the first part is the
//! TOML, the next ones are written as `stores.csv`, `skus.csv` and
//! `timeline.csv` into a folder the TOML's relative paths resolve against,
//! so `[catalog]` and `baseline` reach the CSV readers with whatever
//! headers, quoting, BOMs and rows the fuzzer makes. A part left out is a
//! missing file. The seeds name those files.
#![no_main]

use std::path::PathBuf;
use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;

const FILES: [&str; 3] = ["stores.csv", "skus.csv", "timeline.csv"];

/// One folder for the whole run, its files rewritten per input.
fn folder() -> &'static PathBuf {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| {
        let dir = std::env::temp_dir().join(format!("warroom-fuzz-config-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("a temporary folder");
        dir
    })
}

fuzz_target!(|data: &[u8]| {
    let mut parts = data.split(|&b| b == b'\n').fold(vec![Vec::new()], |mut parts, line| {
        if line == b"%%" {
            parts.push(Vec::new());
        } else if let Some(last) = parts.last_mut() {
            last.extend_from_slice(line);
            last.push(b'\n');
        }
        parts
    });
    let Ok(toml) = String::from_utf8(std::mem::take(&mut parts[0])) else {
        return;
    };
    let dir = folder();
    for (i, name) in FILES.iter().enumerate() {
        let path = dir.join(name);
        match parts.get(i + 1) {
            Some(csv) => std::fs::write(&path, csv).expect("write a catalog"),
            None => {
                let _ = std::fs::remove_file(&path);
            }
        }
    }
    let _ = warroom::config::parse_str(&toml, "fuzz.toml", dir);
});
