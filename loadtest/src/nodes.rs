//! The nodes under test: `--url` as a comma-separated list of base URLs,
//! and how connections and screens are spread over them.
//!
//! Connection `k` (and screen `k`) starts on node `k mod n`, round-robin,
//! and stays there; a connection moves to the next node in the list only
//! when a request fails on its own (see `retry`), as a client with a list
//! of servers does during a failover. One URL is the single-node case and
//! behaves exactly as before lists existed.

use std::fmt;
use std::str::FromStr;

/// The base URLs of the nodes, in the order given, without trailing `/`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Nodes(Vec<String>);

impl FromStr for Nodes {
    type Err = String;
    fn from_str(s: &str) -> Result<Nodes, String> {
        let mut list: Vec<String> = Vec::new();
        for (i, part) in s.split(',').enumerate() {
            let url = part.trim().trim_end_matches('/');
            let which = i + 1;
            if url.is_empty() {
                return Err(format!(
                    "url: entry {which} of {s:?} is empty (give base URLs separated by commas)"
                ));
            }
            let rest = url
                .strip_prefix("http://")
                .or_else(|| url.strip_prefix("https://"));
            match rest {
                Some(host) if !host.is_empty() && !host.contains(char::is_whitespace) => {}
                _ => {
                    return Err(format!(
                        "url: entry {which}, {url:?}, is not an http:// or https:// base URL"
                    ));
                }
            }
            if list.iter().any(|u| u == url) {
                return Err(format!("url: {url:?} is listed twice"));
            }
            list.push(url.to_string());
        }
        Ok(Nodes(list))
    }
}

impl fmt::Display for Nodes {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0.join(","))
    }
}

impl Nodes {
    /// Never empty: parsing refuses an empty list.
    pub fn list(&self) -> &[String] {
        &self.0
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// The first node: the one `--touch-all` and `--mode new-ids` use.
    pub fn first(&self) -> &str {
        self.0.first().map_or("", String::as_str)
    }

    /// The node connection (or screen) `k` starts on.
    pub fn home_of(&self, k: usize) -> usize {
        k % self.0.len().max(1)
    }
}

/// The node after `node` in a list of `n`: where a failed request goes next.
pub fn next_node(node: usize, n: usize) -> usize {
    (node + 1) % n.max(1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_url_or_a_list() {
        let one: Nodes = "http://127.0.0.1:8080/".parse().expect("one URL");
        assert_eq!(one.list(), ["http://127.0.0.1:8080"]);
        assert_eq!(one.to_string(), "http://127.0.0.1:8080");
        let three: Nodes = "http://a:1, http://b:2/,https://c".parse().expect("a list");
        assert_eq!(three.list(), ["http://a:1", "http://b:2", "https://c"]);
        assert_eq!(three.first(), "http://a:1");
    }

    #[test]
    fn bad_lists_name_the_entry() {
        let err = |s: &str| s.parse::<Nodes>().expect_err(s);
        assert!(err("").contains("entry 1"), "{}", err(""));
        assert!(err("http://a,,http://b").contains("entry 2"));
        assert!(err("http://a,").contains("entry 2"));
        assert!(err("http://a,ws://b").contains("entry 2, \"ws://b\""));
        assert!(err("127.0.0.1:8080").contains("not an http://"));
        assert!(err("http://").contains("entry 1"));
        assert!(err("http://a,http://a/").contains("listed twice"));
    }

    #[test]
    fn connections_go_round_robin_and_fail_over_to_the_next() {
        let nodes: Nodes = "http://a,http://b,http://c".parse().expect("list");
        let homes: Vec<usize> = (0..7).map(|k| nodes.home_of(k)).collect();
        assert_eq!(homes, [0, 1, 2, 0, 1, 2, 0]);
        assert_eq!(next_node(0, 3), 1);
        assert_eq!(next_node(2, 3), 0);
        let one: Nodes = "http://a".parse().expect("one");
        assert!((0..5).all(|k| one.home_of(k) == 0));
        assert_eq!(next_node(0, 1), 0);
    }
}
