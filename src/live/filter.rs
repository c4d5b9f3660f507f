//! Which part of the sale a screen watches: `?stores=a,b` and/or
//! `?channels=x,y`. Normalised (sorted, deduplicated) so equal filters share
//! one frame.

/// Most ids one filter may name.
pub const MAX_FILTER_IDS: usize = 100;

#[derive(Debug, Clone, Default, PartialEq, Eq, Hash, serde::Serialize)]
pub struct Filter {
    pub stores: Vec<String>,
    pub channels: Vec<String>,
}

impl Filter {
    /// Parses comma-separated id lists; empty parts are ignored.
    pub fn parse(stores: Option<&str>, channels: Option<&str>) -> Result<Filter, String> {
        let list = |s: Option<&str>, what: &str| -> Result<Vec<String>, String> {
            let mut v: Vec<String> = s
                .unwrap_or("")
                .split(',')
                .map(str::trim)
                .filter(|p| !p.is_empty())
                .map(str::to_string)
                .collect();
            v.sort();
            v.dedup();
            if v.len() > MAX_FILTER_IDS {
                return Err(format!("{what}: at most {MAX_FILTER_IDS} ids"));
            }
            if let Some(bad) = v.iter().find(|id| id.chars().count() > 128) {
                return Err(format!(
                    "{what}: id {bad:.20}… is longer than 128 characters"
                ));
            }
            Ok(v)
        };
        Ok(Filter {
            stores: list(stores, "stores")?,
            channels: list(channels, "channels")?,
        })
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
        let f = Filter::parse(Some("b, a,,b"), None).expect("ok");
        assert_eq!(f.stores, vec!["a", "b"]);
        assert!(f.channels.is_empty());
        assert!(Filter::parse(None, None).expect("ok").is_all());
        let many = (0..101)
            .map(|i| i.to_string())
            .collect::<Vec<_>>()
            .join(",");
        assert!(Filter::parse(Some(&many), None).is_err());
    }
}
