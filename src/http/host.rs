//! Host names and browser origins (docs/api.md, Auth, Host names).
//!
//! A page on `http://evil.example:8080` whose name is re-pointed at
//! 127.0.0.1 (DNS rebinding) reaches a loopback warroom with `Host:
//! evil.example:8080`, and its `Origin` equals that host: judging "same
//! origin" against `Host` alone would let it in. So `Host` is checked first,
//! against the names this server answers to: any IP literal (it cannot be
//! re-pointed), `localhost`, and `[server] allowed_hosts`. The port is not
//! checked: a proxy or a port mapping changes it, and a rebinding page
//! cannot choose an IP literal. Only then is an `Origin` compared with the
//! request's own origin, as a whole: scheme (`http`, or `https` behind a TLS
//! proxy), host and port.
//!
//! In cluster mode a screen page served by one node opens its socket on
//! another when its node is gone, so the nodes of `[cluster] screens` are
//! warroom's own too: their host names are names this server answers to
//! ([`node_name`]) and their origins are not foreign ([`node_origin`]).
//! The list is the operator's, the same on every node; a rebinding page
//! cannot put its own name on it.

use std::net::{Ipv4Addr, Ipv6Addr};

/// The name part of a `Host` header value: without port, brackets or a
/// trailing dot. `None` when the value is not a host at all.
fn name(host: &str) -> Option<&str> {
    if let Some(rest) = host.strip_prefix('[') {
        let (inside, after) = rest.split_once(']')?;
        if !(after.is_empty() || after.strip_prefix(':').is_some_and(is_port)) {
            return None;
        }
        return Some(inside);
    }
    let name = match host.rsplit_once(':') {
        Some((name, port)) if is_port(port) => name,
        Some(_) => return None,
        None => host,
    };
    let name = name.strip_suffix('.').unwrap_or(name);
    (!name.is_empty()).then_some(name)
}

fn is_port(p: &str) -> bool {
    !p.is_empty() && p.len() <= 5 && p.bytes().all(|b| b.is_ascii_digit())
}

/// Whether a request with this `Host` header may be served: an IP literal,
/// `localhost`, or a name in `allowed` (case-insensitive).
pub fn allowed(host: &str, allowed: &[String]) -> bool {
    let Some(name) = name(host) else {
        return false;
    };
    if host.starts_with('[') {
        return name.parse::<Ipv6Addr>().is_ok();
    }
    name.parse::<Ipv4Addr>().is_ok()
        || name.eq_ignore_ascii_case("localhost")
        || allowed.iter().any(|a| a.eq_ignore_ascii_case(name))
}

/// Whether `origin` is the origin of a request to `host` (already checked
/// by [`allowed`]): `http://` or `https://` followed by the same host and
/// port. Any other scheme, or another host or port, is a foreign page.
pub fn same_origin(origin: &str, host: &str) -> bool {
    let rest = match origin.split_once("://") {
        Some((scheme, rest))
            if scheme.eq_ignore_ascii_case("http") || scheme.eq_ignore_ascii_case("https") =>
        {
            rest
        }
        _ => return false,
    };
    !host.is_empty() && rest.eq_ignore_ascii_case(host)
}

/// Scheme, host name (lower case) and port of an origin or a base URL
/// (`http://10.0.0.2:8080`, `https://wall.example/`); the port is the
/// scheme's default when none is written. `None` for anything else.
fn parts(url: &str) -> Option<(&'static str, String, u16)> {
    let (scheme, rest) = url.split_once("://")?;
    let (scheme, default) = if scheme.eq_ignore_ascii_case("http") {
        ("http", 80)
    } else if scheme.eq_ignore_ascii_case("https") {
        ("https", 443)
    } else {
        return None;
    };
    let authority = rest.split(['/', '?', '#']).next().unwrap_or("");
    if authority.contains('@') {
        return None;
    }
    let host = name(authority)?;
    let port = match authority.rsplit_once(':') {
        Some((_, p)) if !authority.ends_with(']') => p.parse().ok()?,
        _ => default,
    };
    Some((scheme, host.to_ascii_lowercase(), port))
}

/// Whether `origin` is the origin of one of the node base URLs `nodes`
/// (`[cluster] screens`): the same scheme, host and port, a default port
/// written or not.
pub fn node_origin(origin: &str, nodes: &[String]) -> bool {
    let Some(origin) = parts(origin) else {
        return false;
    };
    nodes.iter().any(|n| parts(n).as_ref() == Some(&origin))
}

/// Whether the name in this `Host` header value is the host name of one of
/// the node base URLs `nodes` (the port is not compared, as in [`allowed`]).
pub fn node_name(host: &str, nodes: &[String]) -> bool {
    let Some(name) = name(host) else {
        return false;
    };
    nodes
        .iter()
        .filter_map(|n| parts(n))
        .any(|(_, node, _)| node.eq_ignore_ascii_case(name))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_the_server_answers_to() {
        let list = ["warroom.example.com".to_string()];
        for ok in [
            "127.0.0.1:8080",
            "127.0.0.1",
            "10.1.2.3:80",
            "[::1]:8080",
            "[::1]",
            "localhost:8080",
            "LOCALHOST",
            "warroom.example.com",
            "Warroom.Example.com.:443",
        ] {
            assert!(allowed(ok, &list), "{ok}");
        }
        for bad in [
            "evil.example:8080",
            "evil.example",
            "localhost.evil.example",
            "[evil]:80",
            "127.0.0.1:http",
            "",
            ":8080",
            "warroom.example.com.evil",
        ] {
            assert!(!allowed(bad, &list), "{bad}");
        }
    }

    #[test]
    fn origins_compare_whole() {
        assert!(same_origin("http://127.0.0.1:8080", "127.0.0.1:8080"));
        assert!(same_origin("https://wall.example", "wall.example"));
        assert!(!same_origin("ftp://127.0.0.1:8080", "127.0.0.1:8080"));
        assert!(!same_origin("http://127.0.0.1:9090", "127.0.0.1:8080"));
        assert!(!same_origin("null", "127.0.0.1:8080"));
        assert!(!same_origin("http://", ""));
    }

    #[test]
    fn the_cluster_screens_nodes_are_not_foreign() {
        let nodes = [
            "http://10.0.0.1:8080".to_string(),
            "http://wall-b.example".to_string(),
            "https://Wall-C.example:8443/".to_string(),
            "http://[fd00::2]:8080".to_string(),
        ];
        for ok in [
            "http://10.0.0.1:8080",
            "http://wall-b.example",
            "http://wall-b.example:80",
            "https://wall-c.example:8443",
            "HTTP://[fd00::2]:8080",
        ] {
            assert!(node_origin(ok, &nodes), "{ok}");
        }
        for bad in [
            "http://10.0.0.1:8081",
            "https://10.0.0.1:8080",
            "http://wall-b.example:8080",
            "https://wall-c.example",
            "http://evil.example",
            "http://10.0.0.1:8080@evil.example",
            "null",
            "",
        ] {
            assert!(!node_origin(bad, &nodes), "{bad}");
        }
        assert!(!node_origin("http://10.0.0.1:8080", &[]));
        assert!(node_name("wall-b.example:9999", &nodes));
        assert!(node_name("WALL-C.example", &nodes));
        assert!(!node_name("wall-b.example.evil", &nodes));
        assert!(!node_name("evil.example", &nodes));
    }
}
