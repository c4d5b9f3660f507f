//! Which part of the sale a screen watches: `?stores=a,b` and/or
//! `?channels=x,y`. Normalised (sorted, deduplicated) so equal filters share
//! one frame.
//!
//! A list may be given in several parameters (`?stores=a&stores=b,c`). It is
//! split at its literal commas *before* percent-decoding, so an id that
//! holds a comma is selected by writing it `%2C` (`?stores=a%2Cb` is the
//! one store `a,b`), as a browser's `URLSearchParams` does by itself.

use percent_encoding::percent_decode_str;

/// Most ids one filter may name.
pub const MAX_FILTER_IDS: usize = 100;

#[derive(Debug, Clone, Default, PartialEq, Eq, Hash, serde::Serialize)]
pub struct Filter {
    pub stores: Vec<String>,
    pub channels: Vec<String>,
}

impl Filter {
    /// The filter of a raw query string (`stores=…&channels=…`; other
    /// parameters are left alone). Empty ids are ignored.
    pub fn from_query(query: Option<&str>) -> Result<Filter, String> {
        let mut f = Filter::default();
        for pair in query.unwrap_or("").split('&') {
            let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
            let (list, what) = match key {
                "stores" => (&mut f.stores, "stores"),
                "channels" => (&mut f.channels, "channels"),
                _ => continue,
            };
            for part in value.split(',') {
                let spaced = part.replace('+', " ");
                let id = percent_decode_str(&spaced)
                    .decode_utf8()
                    .map_err(|_| format!("{what}: an id is not UTF-8 once decoded"))?;
                let id = id.trim();
                if id.is_empty() {
                    continue;
                }
                if id.chars().count() > 128 {
                    return Err(format!(
                        "{what}: id {id:.20}… is longer than 128 characters"
                    ));
                }
                list.push(id.to_string());
                // Bounded while reading, not only after: a query of a
                // million repeats must not be collected first.
                if list.len() > MAX_FILTER_IDS * 4 {
                    return Err(format!("{what}: at most {MAX_FILTER_IDS} ids"));
                }
            }
        }
        for (list, what) in [(&mut f.stores, "stores"), (&mut f.channels, "channels")] {
            list.sort();
            list.dedup();
            if list.len() > MAX_FILTER_IDS {
                return Err(format!("{what}: at most {MAX_FILTER_IDS} ids"));
            }
        }
        Ok(f)
    }

    pub fn is_all(&self) -> bool {
        self.stores.is_empty() && self.channels.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalises_lists() {
        let f = Filter::from_query(Some("stores=b,%20a,,b&token=x")).expect("ok");
        assert_eq!(f.stores, vec!["a", "b"]);
        assert!(f.channels.is_empty());
        assert!(Filter::from_query(None).expect("ok").is_all());
        let many = (0..101)
            .map(|i| i.to_string())
            .collect::<Vec<_>>()
            .join(",");
        assert!(Filter::from_query(Some(&format!("stores={many}"))).is_err());
    }

    #[test]
    fn repeated_parameters_and_encoded_commas() {
        let f = Filter::from_query(Some("stores=a&stores=b,c&channels=x%2Cy&stores=d%2Ce"))
            .expect("ok");
        assert_eq!(f.stores, vec!["a", "b", "c", "d,e"]);
        assert_eq!(f.channels, vec!["x,y"]);
        assert!(Filter::from_query(Some("stores=%ff")).is_err());
    }
}
