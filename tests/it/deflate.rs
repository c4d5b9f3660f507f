//! docs/api.md, Live frames, "Compression", with a client written here by
//! hand (a TCP socket, the handshake as text, frames read byte by byte):
//! independent of the WebSocket library the server uses. A screen that
//! offers `permessage-deflate` gets compressed frames that inflate to
//! exactly what a plain screen of the same filter got for the same `seq`;
//! one that offers nothing, or what we cannot honour, gets plain frames.

use std::collections::BTreeMap;
use std::time::Duration;

use serde_json::Value;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::support::{MIN, START, TestApp, raw_request, spawn_app, test_config};

/// RFC 6455's own example key and its accept value.
const KEY: &str = "dGhlIHNhbXBsZSBub25jZQ==";
const ACCEPT: &str = "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=";
const CHROMIUM_OFFER: &str = "permessage-deflate; client_max_window_bits";

struct RawScreen {
    tcp: TcpStream,
    /// The `101`'s head, lower-cased.
    head: String,
    buf: Vec<u8>,
}

/// One message as it arrived: RSV1 (compressed), opcode, payload.
struct Arrived {
    rsv1: bool,
    opcode: u8,
    payload: Vec<u8>,
}

impl RawScreen {
    async fn open(app: &TestApp, query: &str, offers: &[&str]) -> RawScreen {
        let mut tcp = TcpStream::connect(app.addr).await.expect("connect");
        let mut req = format!(
            "GET /api/v1/live{query} HTTP/1.1\r\nHost: {}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: {KEY}\r\nSec-WebSocket-Version: 13\r\n",
            app.addr
        );
        for offer in offers {
            req.push_str(&format!("Sec-WebSocket-Extensions: {offer}\r\n"));
        }
        req.push_str("\r\n");
        tcp.write_all(req.as_bytes()).await.expect("write");
        let mut screen = RawScreen {
            tcp,
            head: String::new(),
            buf: Vec::new(),
        };
        let end = loop {
            if let Some(i) = screen.buf.windows(4).position(|w| w == b"\r\n\r\n") {
                break i + 4;
            }
            screen.fill().await;
        };
        screen.head = String::from_utf8_lossy(&screen.buf[..end]).to_ascii_lowercase();
        screen.buf.drain(..end);
        assert!(screen.head.starts_with("http/1.1 101"), "{}", screen.head);
        assert!(
            screen.head.contains(&format!(
                "sec-websocket-accept: {}",
                ACCEPT.to_ascii_lowercase()
            )),
            "{}",
            screen.head
        );
        screen
    }

    /// The `Sec-WebSocket-Extensions` of the `101`, if any.
    fn extensions(&self) -> Option<&str> {
        self.head
            .lines()
            .find_map(|l| l.strip_prefix("sec-websocket-extensions:"))
            .map(str::trim)
    }

    async fn fill(&mut self) {
        let mut chunk = [0u8; 16 * 1024];
        let n = tokio::time::timeout(Duration::from_secs(10), self.tcp.read(&mut chunk))
            .await
            .expect("bytes within 10 s")
            .expect("read");
        assert!(n > 0, "the server closed the connection");
        self.buf.extend_from_slice(&chunk[..n]);
    }

    async fn need(&mut self, n: usize) {
        while self.buf.len() < n {
            self.fill().await;
        }
    }

    /// The next frame (the server sends every message as one final frame).
    async fn next(&mut self) -> Arrived {
        self.need(2).await;
        let (b0, b1) = (self.buf[0], self.buf[1]);
        assert_eq!(b0 & 0x80, 0x80, "a final frame");
        assert_eq!(b1 & 0x80, 0, "server frames are not masked");
        let (len, at) = match b1 & 0x7f {
            126 => {
                self.need(4).await;
                (u16::from_be_bytes([self.buf[2], self.buf[3]]) as usize, 4)
            }
            127 => {
                self.need(10).await;
                let mut n = [0u8; 8];
                n.copy_from_slice(&self.buf[2..10]);
                (u64::from_be_bytes(n) as usize, 10)
            }
            n => (n as usize, 2),
        };
        self.need(at + len).await;
        let payload = self.buf[at..at + len].to_vec();
        self.buf.drain(..at + len);
        Arrived {
            rsv1: b0 & 0x40 != 0,
            opcode: b0 & 0x0f,
            payload,
        }
    }

    /// The next text message as JSON text, inflated if it came compressed;
    /// with whether it did.
    async fn next_text(&mut self) -> (String, bool) {
        loop {
            let m = self.next().await;
            match m.opcode {
                1 if m.rsv1 => return (inflate(&m.payload), true),
                1 => return (String::from_utf8(m.payload).expect("UTF-8"), false),
                8 => panic!("closed: {:?}", m.payload),
                _ => {}
            }
        }
    }
}

/// RFC 7692, 7.2.2: append `00 00 ff ff` and raw-inflate.
fn inflate(body: &[u8]) -> String {
    let mut whole = body.to_vec();
    whole.extend_from_slice(&[0, 0, 0xff, 0xff]);
    let mut z = flate2::Decompress::new(false);
    let mut out = Vec::with_capacity(body.len() * 40 + 4096);
    z.decompress_vec(&whole, &mut out, flate2::FlushDecompress::Sync)
        .expect("a valid deflate stream");
    assert_eq!(
        z.total_in(),
        whole.len() as u64,
        "the whole message inflated"
    );
    String::from_utf8(out).expect("UTF-8")
}

fn orders(prefix: &str, n: usize) -> String {
    (0..n)
        .map(|i| {
            format!(
                r#"{{"type":"order","id":"{prefix}{i}","ts":{},"store":"s{}","buyer":"b{i}","items":[{{"sku":"k{}","qty":1,"price":{}}}]}}"#,
                START + 60 * MIN,
                1 + i % 2,
                i % 7,
                100 + i * 37
            )
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// Reads hello, snapshot and then ticks until `n` ticks came; the ticks'
/// text by `seq`, and how many messages of all came compressed.
async fn ticks(screen: &mut RawScreen, n: usize) -> (BTreeMap<u64, String>, usize, usize) {
    let (mut by_seq, mut compressed, mut all) = (BTreeMap::new(), 0, 0);
    while by_seq.len() < n {
        let (text, was) = screen.next_text().await;
        all += 1;
        compressed += usize::from(was);
        let v: Value = serde_json::from_str(&text).expect("JSON");
        if v["type"] == "tick" {
            let seq = v["seq"].as_u64().expect("seq");
            by_seq.insert(seq, text);
        }
    }
    (by_seq, compressed, all)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn deflate_frames_inflate_to_exactly_the_plain_frames() {
    let app = spawn_app(test_config(), START + 61 * MIN).await;
    let r = app
        .post_events(orders("a", 300), "application/x-ndjson")
        .await;
    assert_eq!(r.status(), 200);
    for query in ["", "?stores=s1"] {
        let mut plain = RawScreen::open(&app, query, &[]).await;
        let mut deflate = RawScreen::open(&app, query, &[CHROMIUM_OFFER]).await;
        assert_eq!(plain.extensions(), None);
        assert_eq!(
            deflate.extensions(),
            Some("permessage-deflate; server_no_context_takeover")
        );
        let (hello, was) = deflate.next_text().await;
        assert!(was, "the hello is compressed: {hello}");
        let (snapshot, was) = deflate.next_text().await;
        assert!(was, "the snapshot is compressed");
        assert_eq!(
            serde_json::from_str::<Value>(&snapshot).expect("JSON")["type"],
            "snapshot"
        );
        // Ingest moves on while both read: ticks carry rows too.
        let r = app
            .post_events(orders("b", 50), "application/x-ndjson")
            .await;
        assert_eq!(r.status(), 200);
        let (mut seen, mut zipped) = (0, 0);
        for _ in 0..20 {
            let (p, _, _) = ticks(&mut plain, 4).await;
            let (d, compressed, _) = ticks(&mut deflate, 4).await;
            zipped += compressed;
            for (seq, text) in &d {
                if let Some(same) = p.get(seq) {
                    assert_eq!(text, same, "tick {seq}, filter {query:?}");
                    seen += 1;
                }
            }
            if seen >= 4 {
                break;
            }
        }
        assert!(seen >= 4, "ticks of the same seq compared: {seen}");
        assert!(zipped > 0, "ticks came compressed");
        let (_, compressed, _) = ticks(&mut plain, 3).await;
        assert_eq!(compressed, 0, "nothing compressed to a plain screen");
    }
    let metrics = app.metrics().await;
    let counter = |encoding: &str| {
        metrics
            .lines()
            .find_map(|l| {
                l.strip_prefix(&format!(
                    "warroom_live_bytes_sent_total{{encoding=\"{encoding}\"}} "
                ))
            })
            .and_then(|v| v.parse::<u64>().ok())
            .expect("the counter")
    };
    assert!(counter("deflate") > 0, "{metrics}");
    assert!(counter("plain") > 0, "{metrics}");
}

#[tokio::test]
async fn screens_offering_nothing_we_can_honour_get_plain_frames() {
    let app = spawn_app(test_config(), START + 61 * MIN).await;
    for offers in [
        &[][..],
        &["x-webkit-deflate-frame"],
        &["permessage-deflate; server_max_window_bits=10"],
        &["permessage-deflate; bogus_param"],
    ] {
        let mut screen = RawScreen::open(&app, "", offers).await;
        assert_eq!(screen.extensions(), None, "{offers:?}");
        let (frames, compressed, all) = ticks(&mut screen, 2).await;
        assert_eq!(compressed, 0, "{offers:?}: {all} messages, none compressed");
        assert_eq!(frames.len(), 2);
    }
    // The next offer is taken when the first cannot be honoured.
    let screen = RawScreen::open(
        &app,
        "",
        &["permessage-deflate; server_max_window_bits=9, permessage-deflate; client_no_context_takeover"],
    )
    .await;
    assert_eq!(
        screen.extensions(),
        Some("permessage-deflate; server_no_context_takeover; client_no_context_takeover")
    );
}

#[tokio::test]
async fn a_request_that_is_not_a_websocket_handshake_is_refused_with_a_reason() {
    let app = spawn_app(test_config(), START + 61 * MIN).await;
    let ask = |extra: &str| {
        format!(
            "GET /api/v1/live HTTP/1.1\r\nHost: {}\r\nConnection: close{extra}\r\n\r\n",
            app.addr
        )
    };
    let wait = Duration::from_secs(5);
    let plain = raw_request(app.addr, ask("").as_bytes(), wait).await;
    assert!(plain.starts_with("HTTP/1.1 426"), "{plain}");
    assert!(
        plain.to_ascii_lowercase().contains("upgrade: websocket"),
        "{plain}"
    );
    assert!(
        plain.contains(r#"{"error":"this path is a WebSocket"#),
        "{plain}"
    );
    let upgrade = ", upgrade\r\nUpgrade: websocket";
    let old = format!("{upgrade}\r\nSec-WebSocket-Version: 8\r\nSec-WebSocket-Key: {KEY}");
    let old = raw_request(app.addr, ask(&old).as_bytes(), wait).await;
    assert!(old.starts_with("HTTP/1.1 426"), "{old}");
    assert!(
        old.to_ascii_lowercase()
            .contains("sec-websocket-version: 13"),
        "{old}"
    );
    let bad_key = format!("{upgrade}\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: short");
    let bad_key = raw_request(app.addr, ask(&bad_key).as_bytes(), wait).await;
    assert!(bad_key.starts_with("HTTP/1.1 400"), "{bad_key}");
    assert!(bad_key.contains("Sec-WebSocket-Key"), "{bad_key}");
}
