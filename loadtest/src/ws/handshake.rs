//! The screen's WebSocket upgrade, over a plain TCP connection, offering
//! `permessage-deflate` as Chromium does.
//!
//! Written by hand so that the socket stays ours after the `101`: the
//! frame walker then reads it raw. The response is read into a fixed
//! buffer (a `101` is a few hundred bytes); bytes after its head are the
//! first frames and are handed over with the stream. `Sec-WebSocket-Accept`
//! is not verified: the server under test is known, and a wrong upgrade
//! shows at once as frames the walker refuses.

use base64::Engine as _;
use thiserror::Error;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// What Chromium offers (RFC 7692 §7.1): it can take any server window.
pub const OFFER: &str = "permessage-deflate; client_max_window_bits";
/// The most a `101` head may take.
const MAX_HEAD: usize = 4096;

#[derive(Debug, Error)]
pub enum HandshakeError {
    #[error("{0}: only ws:// screens (an http:// base URL) are supported")]
    Scheme(String),
    #[error("connect: {0}")]
    Connect(std::io::Error),
    #[error("upgrade: {0}")]
    Io(std::io::Error),
    #[error("the server closed the connection during the upgrade")]
    Closed,
    #[error("the upgrade's response head is over {MAX_HEAD} bytes")]
    HeadTooLong,
    #[error("upgrade refused: {0}")]
    Refused(String),
}

/// Where a screen connects: `host:port` and the request path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    pub host: String,
    pub path: String,
}

impl Target {
    /// From a node's `http://host:port` base and the path with query.
    pub fn new(base: &str, path: &str) -> Result<Target, HandshakeError> {
        let host = base
            .strip_prefix("http://")
            .ok_or_else(|| HandshakeError::Scheme(base.to_string()))?;
        let host = host.split('/').next().unwrap_or(host);
        let host = if host.contains(':') {
            host.to_string()
        } else {
            format!("{host}:80")
        };
        Ok(Target {
            host,
            path: path.to_string(),
        })
    }
}

/// What the server accepted of `permessage-deflate`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Deflate {
    /// Each message is compressed on its own: the inflater starts afresh.
    pub server_no_context_takeover: bool,
}

/// An upgraded connection.
pub struct Upgraded {
    pub stream: TcpStream,
    /// Frame bytes that came with the response head.
    pub leftover: Vec<u8>,
    /// `None`: frames are plain (not offered, or not accepted).
    pub deflate: Option<Deflate>,
}

/// Connects and upgrades; `key_seed` only varies the key between screens.
pub async fn connect(
    target: &Target,
    offer_deflate: bool,
    key_seed: u64,
) -> Result<Upgraded, HandshakeError> {
    let mut stream = TcpStream::connect(&target.host)
        .await
        .map_err(HandshakeError::Connect)?;
    let _ = stream.set_nodelay(true);
    let mut key = [0u8; 16];
    key[..8].copy_from_slice(&key_seed.to_le_bytes());
    key[8..].copy_from_slice(&(key_seed ^ 0x9e37_79b9_7f4a_7c15).to_be_bytes());
    let key = base64::engine::general_purpose::STANDARD.encode(key);
    let extensions = if offer_deflate {
        format!("Sec-WebSocket-Extensions: {OFFER}\r\n")
    } else {
        String::new()
    };
    let request = format!(
        "GET {} HTTP/1.1\r\nHost: {}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
         Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n{extensions}\r\n",
        target.path, target.host
    );
    stream
        .write_all(request.as_bytes())
        .await
        .map_err(HandshakeError::Io)?;
    let mut buf = [0u8; MAX_HEAD];
    let mut filled = 0;
    let end = loop {
        if filled == buf.len() {
            return Err(HandshakeError::HeadTooLong);
        }
        let n = stream
            .read(&mut buf[filled..])
            .await
            .map_err(HandshakeError::Io)?;
        if n == 0 {
            return Err(HandshakeError::Closed);
        }
        filled += n;
        if let Some(at) = buf[..filled].windows(4).position(|w| w == b"\r\n\r\n") {
            break at + 4;
        }
    };
    let head = String::from_utf8_lossy(&buf[..end]);
    let deflate = parse_response(&head)?;
    Ok(Upgraded {
        stream,
        leftover: buf[end..filled].to_vec(),
        deflate,
    })
}

/// Checks the `101` and reads what it accepted of `permessage-deflate`.
pub fn parse_response(head: &str) -> Result<Option<Deflate>, HandshakeError> {
    let mut lines = head.split("\r\n");
    let status = lines.next().unwrap_or_default();
    if status.split(' ').nth(1) != Some("101") {
        return Err(HandshakeError::Refused(status.trim().to_string()));
    }
    let mut deflate = None;
    for line in lines {
        let Some((name, value)) = line.split_once(':') else {
            continue;
        };
        if !name.trim().eq_ignore_ascii_case("sec-websocket-extensions") {
            continue;
        }
        for ext in value.split(',') {
            let mut params = ext.split(';').map(str::trim);
            if params.next() != Some("permessage-deflate") {
                continue;
            }
            deflate = Some(Deflate {
                server_no_context_takeover: params.any(|p| p == "server_no_context_takeover"),
            });
        }
    }
    Ok(deflate)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_101_with_and_without_deflate() {
        let plain = "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n\r\n";
        assert_eq!(parse_response(plain).expect("101"), None);
        let both = "HTTP/1.1 101 Switching Protocols\r\nsec-websocket-extensions: permessage-deflate; server_no_context_takeover; client_max_window_bits=15\r\n\r\n";
        assert_eq!(
            parse_response(both).expect("101"),
            Some(Deflate {
                server_no_context_takeover: true
            })
        );
        let takeover = "HTTP/1.1 101 OK\r\nSec-WebSocket-Extensions: permessage-deflate\r\n\r\n";
        assert_eq!(
            parse_response(takeover).expect("101"),
            Some(Deflate {
                server_no_context_takeover: false
            })
        );
        let busy = "HTTP/1.1 503 Service Unavailable\r\ncontent-length: 0\r\n\r\n";
        let e = parse_response(busy).expect_err("refused");
        assert!(e.to_string().contains("503"), "{e}");
    }

    #[test]
    fn targets_from_base_urls() {
        let t = Target::new("http://127.0.0.1:8080", "/api/v1/live").expect("http");
        assert_eq!(t.host, "127.0.0.1:8080");
        assert_eq!(Target::new("http://box", "/").expect("http").host, "box:80");
        assert!(Target::new("https://box", "/").is_err());
    }
}
