//! Limits (issue 7): every limit lets just-under through and answers
//! just-over with the documented status; a slowloris client is cut off
//! while others are served.

use std::time::{Duration, Instant};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::support::{MIN, START, raw_request, spawn_app, test_config};

fn order(id: &str, pad: usize) -> String {
    format!(
        r#"{{"type":"order","id":"{id}","store":"s1","note":"{}","items":[{{"sku":"k9","qty":1,"price":1}}]}}"#,
        "n".repeat(pad.max(1))
    )
}

#[tokio::test]
async fn body_and_line_limits() {
    let mut cfg = test_config();
    cfg.server.max_body_bytes = 2048;
    cfg.server.max_line_bytes = 300;
    let app = spawn_app(cfg, START + MIN).await;
    let base = order("x", 1).len();
    // A line of exactly 300 bytes passes; 301 is rejected alone.
    let at_limit = order("a", 1 + 300 - base);
    let over = order("b", 1 + 301 - base);
    assert_eq!((at_limit.len(), over.len()), (300, 301));
    let r: serde_json::Value = app
        .post_events(
            format!("{at_limit}\n{over}\n{}", order("c", 1)),
            "application/x-ndjson",
        )
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(
        (r["accepted"].as_u64(), r["rejected"].as_u64()),
        (Some(2), Some(1))
    );
    assert_eq!(r["errors"][0]["line"], 2);
    assert_eq!(r["errors"][0]["error"], "line: longer than 300 bytes");
    // A body of exactly 2048 bytes passes; 2049 gets 413.
    let mut body = order("d", 1);
    body.push_str(&" ".repeat(2048 - body.len()));
    assert_eq!(
        app.post_events(body.clone(), "application/x-ndjson")
            .await
            .status(),
        200
    );
    body.push(' ');
    assert_eq!(
        app.post_events(body, "application/x-ndjson").await.status(),
        413
    );
}

#[tokio::test]
async fn ingest_requests_beyond_the_limit_are_shed() {
    let mut cfg = test_config();
    cfg.server.max_ingest_requests = 1;
    let app = spawn_app(cfg, START + MIN).await;
    // One client holds a slot: it sends its head and half a body.
    let mut slow = TcpStream::connect(app.addr).await.expect("connect");
    slow.write_all(b"POST /api/v1/events HTTP/1.1\r\nhost: 127.0.0.1\r\ncontent-type: application/x-ndjson\r\ncontent-length: 1000\r\n\r\n{\"type\":")
        .await
        .expect("write");
    // Once the server has taken its head, the next request is shed.
    let deadline = Instant::now() + Duration::from_secs(5);
    let r = loop {
        let r = app.post_events(order("e", 1), "application/x-ndjson").await;
        if r.status() == 503 || Instant::now() > deadline {
            break r;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    assert_eq!(r.status(), 503);
    assert_eq!(r.headers()["retry-after"], "1");
    drop(slow);
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        let r = app.post_events(order("f", 1), "application/x-ndjson").await;
        if r.status() == 200 {
            break;
        }
        assert!(Instant::now() < deadline, "the slot came back");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test]
async fn screens_beyond_the_limit_are_refused() {
    let mut cfg = test_config();
    cfg.server.max_screens = 2;
    let app = spawn_app(cfg, START + MIN).await;
    let url = format!("ws://{}/api/v1/live", app.addr);
    let a = tokio_tungstenite::connect_async(&url).await.expect("first");
    let b = tokio_tungstenite::connect_async(&url)
        .await
        .expect("second");
    tokio::time::sleep(Duration::from_millis(50)).await;
    match tokio_tungstenite::connect_async(&url).await {
        Err(tokio_tungstenite::tungstenite::Error::Http(resp)) => assert_eq!(resp.status(), 503),
        other => panic!(
            "a third screen must be refused, got {:?}",
            other.map(|_| ())
        ),
    }
    drop((a, b));
}

#[tokio::test]
async fn a_slowloris_client_is_cut_off_while_others_are_served() {
    let mut cfg = test_config();
    cfg.server.header_timeout_ms = 300;
    let app = spawn_app(cfg, START + 60 * MIN).await;
    let mut slow = TcpStream::connect(app.addr).await.expect("connect");
    slow.write_all(b"GET /healthz HTTP/1.1\r\nhost: 127.0.0.1\r\n")
        .await
        .expect("write");
    let started = Instant::now();
    // Others are served meanwhile.
    for _ in 0..5 {
        assert_eq!(
            app.client
                .get(format!("{}/healthz", app.base))
                .send()
                .await
                .expect("GET")
                .status(),
            200
        );
    }
    // The slow one never finished its head: the server hangs up on it.
    let mut buf = [0u8; 1024];
    let n = tokio::time::timeout(Duration::from_secs(5), slow.read(&mut buf))
        .await
        .expect("cut off within 5 s")
        .unwrap_or(0);
    let text = String::from_utf8_lossy(&buf[..n]);
    assert!(
        n == 0 || text.starts_with("HTTP/1.1 408"),
        "closed or 408: {text:?}"
    );
    assert!(
        started.elapsed() >= Duration::from_millis(250),
        "not before the timeout"
    );
}

/// Issue 12, item 3: a `Content-Length` over the limit is answered `413`
/// from the head at once: no `100 Continue` invites the body, and no ingest
/// slot is held while a client pretends to send 2^63 bytes.
#[tokio::test]
async fn an_oversized_content_length_is_refused_from_the_head() {
    let mut cfg = test_config();
    cfg.server.max_ingest_requests = 1;
    let app = spawn_app(cfg, START + MIN).await;
    let head = |length: u64, expect: bool| {
        format!(
            "POST /api/v1/events HTTP/1.1\r\nhost: 127.0.0.1\r\ncontent-type: application/x-ndjson\r\ncontent-length: {length}\r\n{}\r\n",
            if expect {
                "expect: 100-continue\r\n"
            } else {
                ""
            }
        )
    };
    for (length, expect) in [
        (17 << 20, true),
        (i64::MAX as u64, false),
        (i64::MAX as u64, true),
    ] {
        let started = Instant::now();
        let answer = raw_request(
            app.addr,
            head(length, expect).as_bytes(),
            Duration::from_secs(3),
        )
        .await;
        assert!(
            answer.starts_with("HTTP/1.1 413"),
            "{length} (expect: {expect}): {answer:?}"
        );
        assert!(!answer.contains("100 Continue"), "{answer}");
        assert!(answer.contains("\"error\""), "a JSON reason: {answer}");
        assert!(started.elapsed() < Duration::from_secs(2), "at once");
    }
    // No slot is left taken.
    let r = app
        .post_events(order("after", 1), "application/x-ndjson")
        .await;
    assert_eq!(r.status(), 200);
}

fn gzip(data: &[u8]) -> Vec<u8> {
    use std::io::Write;
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    enc.write_all(data).expect("write");
    enc.finish().expect("finish")
}

/// Issue 12, item 16: a gzip body is inflated (bounded by the body limit,
/// without inflating all of it first); an encoding the server cannot read
/// is `415`, not read as plain text.
#[tokio::test]
async fn gzip_bodies_are_inflated_within_the_limit_and_others_refused() {
    let mut cfg = test_config();
    cfg.server.max_body_bytes = 64 * 1024;
    let app = spawn_app(cfg, START + MIN).await;
    let send = |body: Vec<u8>, encoding: &'static str| {
        app.client
            .post(format!("{}/api/v1/events", app.base))
            .header("content-type", "application/x-ndjson")
            .header("content-encoding", encoding)
            .body(body)
            .send()
    };
    let lines: Vec<String> = (0..200).map(|i| order(&format!("g{i}"), 1)).collect();
    let plain = lines.join("\n");
    let r = send(gzip(plain.as_bytes()), "gzip").await.expect("POST");
    assert_eq!(r.status(), 200);
    let reply: serde_json::Value = r.json().await.expect("JSON");
    assert_eq!(reply["accepted"], 200, "{reply}");

    // Small on the wire, over the limit inflated: 413.
    let mut bomb = plain.into_bytes();
    bomb.resize(4 << 20, b'\n');
    let packed = gzip(&bomb);
    assert!(packed.len() < 64 * 1024);
    let r = send(packed, "gzip").await.expect("POST");
    assert_eq!(r.status(), 413);
    let reason: serde_json::Value = r.json().await.expect("JSON");
    assert!(
        reason["error"]
            .as_str()
            .is_some_and(|e| e.contains("inflates"))
    );

    // Not gzip at all: 400 naming gzip.
    let r = send(order("z", 1).into_bytes(), "gzip")
        .await
        .expect("POST");
    assert_eq!(r.status(), 400);
    // An encoding the server does not read: 415, nothing applied.
    for encoding in ["br", "deflate", "zstd"] {
        let r = send(order("br", 1).into_bytes(), encoding)
            .await
            .expect("POST");
        assert_eq!(r.status(), 415, "{encoding}");
        let reason: serde_json::Value = r.json().await.expect("JSON");
        assert!(
            reason["error"]
                .as_str()
                .is_some_and(|e| e.contains(encoding))
        );
    }
    let summary = app.get("/api/v1/summary").await;
    assert_eq!(summary["events_applied"], 200);
}

/// Opens a raw WebSocket handshake and reads the answer's status line,
/// keeping the connection (a `101` stays open as a screen).
async fn handshake(addr: std::net::SocketAddr) -> (String, TcpStream) {
    let mut tcp = TcpStream::connect(addr).await.expect("connect");
    let req = format!(
        "GET /api/v1/live HTTP/1.1\r\nHost: {addr}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n"
    );
    tcp.write_all(req.as_bytes()).await.expect("write");
    let mut head = Vec::new();
    let mut byte = [0u8; 1];
    while !head.ends_with(b"\r\n") {
        let n = tokio::time::timeout(Duration::from_secs(10), tcp.read(&mut byte))
            .await
            .expect("an answer within 10 s")
            .expect("read");
        assert!(n > 0, "closed before an answer");
        head.push(byte[0]);
    }
    (String::from_utf8_lossy(&head).into_owned(), tcp)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn screens_connecting_at_once_get_no_more_than_the_limit() {
    let mut cfg = test_config();
    cfg.server.max_screens = 3;
    let app = spawn_app(cfg, START + MIN).await;
    let tries: Vec<_> = (0..40).map(|_| tokio::spawn(handshake(app.addr))).collect();
    let mut open = Vec::new();
    let mut refused = 0;
    for t in tries {
        let (status, tcp) = t.await.expect("the task");
        if status.starts_with("HTTP/1.1 101") {
            open.push(tcp);
        } else {
            assert!(status.starts_with("HTTP/1.1 503"), "{status}");
            refused += 1;
        }
    }
    assert_eq!(open.len(), 3, "{refused} refused");
    // The slots come back when the screens go.
    drop(open);
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let (status, _tcp) = handshake(app.addr).await;
        if status.starts_with("HTTP/1.1 101") {
            break;
        }
        assert!(Instant::now() < deadline, "a slot came back: {status}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}
