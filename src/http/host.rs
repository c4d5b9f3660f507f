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
}
