//! A stand-in cluster node for the screen's tests: a WebSocket server on a
//! loopback port that sends exactly the frames the test gives it, so the
//! page's rules (move on a close, never show a lower stream sequence, the
//! behind banner) are checked frame by frame, without a stream to race.

use futures_util::{SinkExt, StreamExt};
use tokio::net::TcpListener;
use tokio::sync::mpsc;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::handshake::server::{Request, Response};

/// What the test tells the node's current screen.
enum Say {
    Frame(String),
    Close,
}

/// One fake node: the screen that connects gets the frames sent with
/// [`FakeNode::send`] until [`FakeNode::close`]; then it may connect again.
pub struct FakeNode {
    pub base: String,
    say: mpsc::UnboundedSender<Say>,
    /// The request path and query of each socket opened here.
    connected: mpsc::UnboundedReceiver<String>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for FakeNode {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl FakeNode {
    pub async fn start() -> FakeNode {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let base = format!("http://{}", listener.local_addr().expect("addr"));
        let (say, mut heard) = mpsc::unbounded_channel();
        let (tell, connected) = mpsc::unbounded_channel();
        let task = tokio::spawn(async move {
            while let Ok((tcp, _)) = listener.accept().await {
                let mut uri = String::new();
                // The handshake callback's error type is tungstenite's, not ours.
                #[allow(clippy::result_large_err)]
                let seen = |req: &Request, resp: Response| {
                    uri = req.uri().to_string();
                    Ok(resp)
                };
                let Ok(mut ws) = tokio_tungstenite::accept_hdr_async(tcp, seen).await else {
                    continue;
                };
                let _ = tell.send(uri);
                loop {
                    tokio::select! {
                        said = heard.recv() => match said {
                            Some(Say::Frame(text)) => {
                                if ws.send(Message::text(text)).await.is_err() {
                                    break;
                                }
                            }
                            Some(Say::Close) | None => {
                                let _ = ws.close(None).await;
                                break;
                            }
                        },
                        // Pongs and the client's close; a dropped screen ends it.
                        got = ws.next() => if !matches!(got, Some(Ok(_))) { break },
                    }
                }
            }
        });
        FakeNode {
            base,
            say,
            connected,
            task,
        }
    }

    /// Waits (up to 20 s) for a screen to connect; the path and query it asked for.
    pub async fn wait_connected(&mut self) -> String {
        tokio::time::timeout(std::time::Duration::from_secs(20), self.connected.recv())
            .await
            .expect("a screen connects to the fake node")
            .expect("the fake node runs")
    }

    pub fn send(&self, frame: &serde_json::Value) {
        let _ = self.say.send(Say::Frame(frame.to_string()));
    }

    pub fn close(&self) {
        let _ = self.say.send(Say::Close);
    }
}
