//! The Prometheus text format, written once per scrape.
//!
//! A family is announced once (`family`) and then given samples, with or
//! without labels; label values are escaped here so callers never build
//! exposition syntax by hand.

use std::fmt::{Display, Write};

/// A metric family's type.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Counter,
    Gauge,
    Histogram,
}

impl Kind {
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Counter => "counter",
            Kind::Gauge => "gauge",
            Kind::Histogram => "histogram",
        }
    }
}

/// Something that has figures to show on `/metrics`.
pub trait Report {
    fn report(&self, out: &mut Exposition);
}

/// The exposition being written.
#[derive(Debug, Default)]
pub struct Exposition {
    out: String,
}

impl Exposition {
    pub fn new() -> Exposition {
        Exposition {
            out: String::with_capacity(8192),
        }
    }

    /// HELP and TYPE lines of a family.
    pub fn family(&mut self, name: &str, kind: Kind, help: &str) {
        let _ = writeln!(
            self.out,
            "# HELP {name} {help}\n# TYPE {name} {}",
            kind.as_str()
        );
    }

    /// One sample without labels.
    pub fn sample(&mut self, name: &str, value: impl Display) {
        let _ = writeln!(self.out, "{name} {value}");
    }

    /// One sample with labels (values are escaped).
    pub fn labelled(&mut self, name: &str, labels: &[(&str, &str)], value: impl Display) {
        self.out.push_str(name);
        self.out.push('{');
        for (i, (k, v)) in labels.iter().enumerate() {
            if i > 0 {
                self.out.push(',');
            }
            self.out.push_str(k);
            self.out.push_str("=\"");
            for c in v.chars() {
                match c {
                    '\\' => self.out.push_str("\\\\"),
                    '"' => self.out.push_str("\\\""),
                    '\n' => self.out.push_str("\\n"),
                    c => self.out.push(c),
                }
            }
            self.out.push('"');
        }
        let _ = writeln!(self.out, "}} {value}");
    }

    /// A family with a single unlabelled sample.
    pub fn one(&mut self, name: &str, kind: Kind, help: &str, value: impl Display) {
        self.family(name, kind, help);
        self.sample(name, value);
    }

    /// Appends raw exposition lines (for histograms written by their owner).
    pub(crate) fn raw(&mut self) -> &mut String {
        &mut self.out
    }

    pub fn finish(self) -> String {
        self.out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_are_escaped() {
        let mut e = Exposition::new();
        e.family("x_total", Kind::Counter, "X.");
        e.labelled("x_total", &[("hook", "a\"b\\c"), ("result", "ok")], 3);
        assert_eq!(
            e.finish(),
            "# HELP x_total X.\n# TYPE x_total counter\nx_total{hook=\"a\\\"b\\\\c\",result=\"ok\"} 3\n"
        );
    }
}
