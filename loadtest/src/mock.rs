//! A stand-in node for the load test's own tests: raw HTTP/1.1 on a
//! loopback port, answering each request as its script says (a reply, a
//! fixed JSON, a `503`, or the connection dropped once the body is in), and keeping
//! every body it received.

use std::sync::Arc;

use parking_lot::Mutex;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// What the node does with one request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Answer {
    /// `200` with this JSON (a `/api/v1/summary`, say).
    Json(String),
    /// `200` with a reply accepting every line.
    Ok,
    /// `503`: nothing applied, try again.
    Shed,
    /// Reads the body, then closes the connection without a word.
    Drop,
    /// `400`.
    Bad,
}

pub struct Node {
    pub url: String,
    /// Bodies received, in order, whatever the answer.
    pub bodies: Arc<Mutex<Vec<Vec<u8>>>>,
}

/// A node answering request `i` with `script[i]` (the last one from then on).
pub async fn node(script: Vec<Answer>) -> Node {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let url = format!("http://{}", listener.local_addr().expect("address"));
    let bodies = Arc::new(Mutex::new(Vec::new()));
    let seen = bodies.clone();
    tokio::spawn(async move {
        while let Ok((socket, _)) = listener.accept().await {
            tokio::spawn(serve(socket, script.clone(), seen.clone()));
        }
    });
    Node { url, bodies }
}

/// A URL nothing listens on: connections are refused.
pub fn dead_url() -> String {
    let l = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = l.local_addr().expect("address").port();
    format!("http://127.0.0.1:{port}")
}

async fn serve(mut socket: TcpStream, script: Vec<Answer>, bodies: Arc<Mutex<Vec<Vec<u8>>>>) {
    let mut buf = Vec::new();
    loop {
        let head_end = loop {
            if let Some(at) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
                break at + 4;
            }
            let mut chunk = [0u8; 8192];
            match socket.read(&mut chunk).await {
                Ok(0) | Err(_) => return,
                Ok(n) => buf.extend_from_slice(&chunk[..n]),
            }
        };
        let head = String::from_utf8_lossy(&buf[..head_end]).to_ascii_lowercase();
        let length: usize = head
            .lines()
            .find_map(|l| l.strip_prefix("content-length:"))
            .and_then(|v| v.trim().parse().ok())
            .unwrap_or(0);
        while buf.len() < head_end + length {
            let mut chunk = [0u8; 8192];
            match socket.read(&mut chunk).await {
                Ok(0) | Err(_) => return,
                Ok(n) => buf.extend_from_slice(&chunk[..n]),
            }
        }
        let body: Vec<u8> = buf.drain(..head_end + length).skip(head_end).collect();
        let lines = body
            .split(|&b| b == b'\n')
            .filter(|l| !l.is_empty())
            .count();
        let answer = {
            let mut all = bodies.lock();
            all.push(body);
            script
                .get(all.len() - 1)
                .or(script.last())
                .cloned()
                .unwrap_or(Answer::Ok)
        };
        let (status, reply) = match answer {
            Answer::Ok => (
                "200 OK",
                format!(r#"{{"accepted":{lines},"duplicates":0,"rejected":0}}"#),
            ),
            Answer::Json(json) => ("200 OK", json),
            Answer::Shed => ("503 Service Unavailable", r#"{"error":"busy"}"#.into()),
            Answer::Bad => ("400 Bad Request", r#"{"error":"bad"}"#.into()),
            Answer::Drop => return,
        };
        let out = format!(
            "HTTP/1.1 {status}\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\r\n{reply}",
            reply.len()
        );
        if socket.write_all(out.as_bytes()).await.is_err() {
            return;
        }
    }
}
