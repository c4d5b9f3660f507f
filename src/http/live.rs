//! `GET /api/v1/live`: one screen's WebSocket.
//!
//! Sends `hello` and a `snapshot`, then each new frame of its topic,
//! preceded by the alert frames of the ticks it covers. Reads only to
//! notice pongs and close frames. A screen that falls behind gets one
//! catch-up frame since its last tick (`live::next` decides), never a
//! snapshot after the first; each frame it finishes with is counted for
//! its topic's frame rate. One whose sends stall for `SEND_TIMEOUT`, or
//! that answers no ping for `IDLE_LIMIT`, is closed.
//! On shutdown each socket says "going away" (1001) and ends.
//!
//! A client message over `MAX_INCOMING` is answered with close 1009
//! ("message too big"). The protocol layer reads messages up to
//! `PROTOCOL_LIMIT` whole, so the close is a clean one; beyond that the
//! message is refused from its frame header and the close is sent, but
//! the unread rest may make the operating system reset the connection.

use std::sync::atomic::Ordering::Relaxed;
use std::time::{Duration, Instant};

use axum::extract::ws::{CloseFrame, Message, Utf8Bytes, WebSocket, WebSocketUpgrade, close_code};
use axum::extract::{RawQuery, State};
use axum::response::Response;

use super::error::AppError;
use super::router::AppState;
use crate::live::{self, Filter, Hub, Next};
use crate::shutdown::Shutdown;

const PING_EVERY: Duration = Duration::from_secs(15);
const IDLE_LIMIT: Duration = Duration::from_secs(45);
const SEND_TIMEOUT: Duration = Duration::from_secs(10);
/// Screens send nothing but pongs and closes: keep incoming messages small.
const MAX_INCOMING: usize = 4 * 1024;
/// What the WebSocket layer reads whole before `MAX_INCOMING` is judged.
const PROTOCOL_LIMIT: usize = 64 * 1024;

pub async fn live(
    ws: WebSocketUpgrade,
    State(app): State<AppState>,
    RawQuery(query): RawQuery,
) -> Result<Response, AppError> {
    let filter = Filter::from_query(query.as_deref()).map_err(AppError::BadRequest)?;
    let max = app.engine().config().server.max_screens;
    if app.hub.stats().screens.load(Relaxed) >= max as u64 {
        return Err(AppError::Unavailable(format!(
            "too many screens connected (limit {max})"
        )));
    }
    let hub = app.hub.clone();
    let shutdown = app.shutdown.clone();
    // Small buffers: a screen only reads, and thousands of them must be cheap.
    // (The defaults of 128 KiB each way cost ~150 KiB a screen.)
    Ok(ws
        .read_buffer_size(MAX_INCOMING)
        .write_buffer_size(0)
        .max_message_size(PROTOCOL_LIMIT)
        .max_frame_size(PROTOCOL_LIMIT)
        .on_upgrade(move |socket| serve(socket, hub, filter, shutdown)))
}

async fn send(socket: &mut WebSocket, msg: Message) -> bool {
    matches!(
        tokio::time::timeout(SEND_TIMEOUT, socket.send(msg)).await,
        Ok(Ok(()))
    )
}

fn incoming_len(msg: &Message) -> usize {
    match msg {
        Message::Text(t) => t.len(),
        Message::Binary(b) => b.len(),
        Message::Ping(b) | Message::Pong(b) => b.len(),
        Message::Close(_) => 0,
    }
}

/// Says 1009 "message too big" and waits (briefly) for the client's close,
/// so the connection ends cleanly rather than with a reset.
async fn close_too_big(socket: &mut WebSocket) {
    let close = CloseFrame {
        code: close_code::SIZE,
        reason: Utf8Bytes::from_static("message too big: at most 4096 bytes"),
    };
    if !send(socket, Message::Close(Some(close))).await {
        return;
    }
    let _ = tokio::time::timeout(Duration::from_secs(2), async {
        while let Some(Ok(msg)) = socket.recv().await {
            if matches!(msg, Message::Close(_)) {
                break;
            }
        }
    })
    .await;
}

async fn serve(mut socket: WebSocket, hub: Hub, filter: Filter, shutdown: Shutdown) {
    let stats = || hub.stats();
    let mut sub = hub.subscribe(filter.clone());
    sub.rx.borrow_and_update();
    if !send(&mut socket, Message::Text(hub.hello(&filter))).await {
        return;
    }
    let (mut last_seq, snap) = sub.snapshot();
    if !send(&mut socket, Message::Text(snap)).await {
        return;
    }
    let mut ping = tokio::time::interval_at(tokio::time::Instant::now() + PING_EVERY, PING_EVERY);
    let mut last_heard = Instant::now();
    loop {
        tokio::select! {
            () = shutdown.wait() => {
                let close = CloseFrame { code: close_code::AWAY, reason: Utf8Bytes::from_static("server shutting down") };
                let _ = send(&mut socket, Message::Close(Some(close))).await;
                break;
            }
            changed = sub.rx.changed() => {
                if changed.is_err() {
                    break;
                }
                let published = sub.rx.borrow_and_update().clone();
                // docs/api.md, Live frames, "Sequence and catch-up".
                let (alerts, tick) = match live::next(last_seq, &published) {
                    Next::Skip => {
                        sub.handled(&published);
                        continue;
                    }
                    Next::Regular => (published.alerts.clone(), published.tick.clone()),
                    Next::CatchUp { since } => {
                        stats().frames_skipped.fetch_add(published.since - since, Relaxed);
                        let c = sub.catch_up(since, &published);
                        (c.alerts, c.tick)
                    }
                };
                let mut ok = true;
                for alert in alerts.iter() {
                    ok = ok && send(&mut socket, Message::Text(alert.clone())).await;
                }
                ok = ok && send(&mut socket, Message::Text(tick)).await;
                sub.handled(&published);
                if !ok {
                    break;
                }
                last_seq = published.seq;
                stats().frames_sent.fetch_add(1, Relaxed);
            }
            incoming = socket.recv() => match incoming {
                None | Some(Ok(Message::Close(_))) => break,
                Some(Ok(msg)) if incoming_len(&msg) > MAX_INCOMING => {
                    close_too_big(&mut socket).await;
                    break;
                }
                Some(Ok(_)) => last_heard = Instant::now(),
                Some(Err(e)) => {
                    let too_big = matches!(
                        e.into_inner().downcast_ref::<tungstenite::Error>(),
                        Some(tungstenite::Error::Capacity(_))
                    );
                    if too_big {
                        close_too_big(&mut socket).await;
                    }
                    break;
                }
            },
            _ = ping.tick() => {
                if last_heard.elapsed() > IDLE_LIMIT {
                    let close = CloseFrame { code: close_code::POLICY, reason: Utf8Bytes::from_static("no answer to pings") };
                    let _ = send(&mut socket, Message::Close(Some(close))).await;
                    break;
                }
                if !send(&mut socket, Message::Ping(Default::default())).await {
                    break;
                }
            }
        }
    }
}
