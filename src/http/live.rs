//! `GET /api/v1/live`: one screen's WebSocket.
//!
//! Sends `hello` and a `snapshot`, then each new frame of its topic,
//! preceded by the alert frames of the ticks it covers. Reads only to
//! notice pongs and close frames. A screen that falls behind gets one
//! catch-up frame since its last tick (`live::next` decides), never a
//! snapshot after the first; each frame it finishes with is counted for
//! its topic's frame rate. One whose sends stall for `SEND_TIMEOUT`
//! (`socket`), or that answers no ping for `IDLE_LIMIT`, is closed. On
//! shutdown each socket says "going away" (1001) and ends. The handshake
//! (`upgrade`) agrees whether frames go out compressed; the loop only
//! hands the shared payloads to its [`ScreenSocket`].
//!
//! A client message over `MAX_INCOMING` is answered with close 1009
//! ("message too big"). The protocol layer reads messages up to
//! `PROTOCOL_LIMIT` whole, so the close is a clean one; beyond that the
//! message is refused from its frame header and the close is sent, but
//! the unread rest may make the operating system reset the connection.

use std::sync::atomic::Ordering::Relaxed;
use std::time::{Duration, Instant};

use axum::extract::{RawQuery, State};
use axum::response::Response;
use tungstenite::Message;
use tungstenite::protocol::frame::coding::CloseCode;
use tungstenite::protocol::{CloseFrame, WebSocketConfig};

use super::error::AppError;
use super::router::AppState;
use super::socket::ScreenSocket;
use super::upgrade::{Encoding, Handshake, Socket};
use crate::live::{self, Filter, Hub, Next, Payload};
use crate::shutdown::Shutdown;

const PING_EVERY: Duration = Duration::from_secs(15);
const IDLE_LIMIT: Duration = Duration::from_secs(45);
/// Screens send nothing but pongs and closes: keep incoming messages small.
const MAX_INCOMING: usize = 4 * 1024;
/// Bytes of queued messages written at once (a tick and its alert frames
/// are a few KiB; a larger snapshot is written as it is queued).
const WRITE_BATCH: usize = 16 * 1024;
/// What the WebSocket layer reads whole before `MAX_INCOMING` is judged.
const PROTOCOL_LIMIT: usize = 64 * 1024;

pub async fn live(
    handshake: Handshake,
    State(app): State<AppState>,
    RawQuery(query): RawQuery,
) -> Result<Response, AppError> {
    let filter = Filter::from_query(query.as_deref()).map_err(AppError::BadRequest)?;
    // A place is taken here, before the `101`, and held until the socket's
    // task ends: counting subscribed screens instead let every screen
    // upgrading at once through (they subscribe only once upgraded).
    let max = app.engine().config().server.max_screens;
    let Some(slot) = app.screens.reserve(max) else {
        return Err(AppError::Unavailable(format!(
            "too many screens connected (limit {max})"
        )));
    };
    let hub = app.hub.clone();
    let shutdown = app.shutdown.clone();
    // Small buffers: a screen only reads, and thousands of them must be cheap.
    // (The defaults of 128 KiB each way cost ~150 KiB a screen.) Messages
    // queue up to `WRITE_BATCH` before a write, so a tick and its alert
    // frames go out in one; every send ends with a flush.
    let config = WebSocketConfig::default()
        .read_buffer_size(MAX_INCOMING)
        .write_buffer_size(WRITE_BATCH)
        .max_message_size(Some(PROTOCOL_LIMIT))
        .max_frame_size(Some(PROTOCOL_LIMIT));
    // The upgrade is the main runtime's; the screen's life is the screens
    // runtime's, below ingest (docs/scaling.md, Ingest first).
    Ok(handshake.accept(config, slot, move |socket, encoding| {
        serve(socket, encoding, hub, filter, shutdown)
    }))
}

fn incoming_len(msg: &Message) -> usize {
    match msg {
        Message::Text(t) => t.len(),
        Message::Binary(b) => b.len(),
        Message::Ping(b) | Message::Pong(b) => b.len(),
        Message::Frame(f) => f.len(),
        Message::Close(_) => 0,
    }
}

fn close(code: CloseCode, reason: &'static str) -> Message {
    Message::Close(Some(CloseFrame {
        code,
        reason: reason.into(),
    }))
}

/// Says 1009 "message too big" and waits (briefly) for the client's close,
/// so the connection ends cleanly rather than with a reset.
async fn close_too_big(socket: &mut ScreenSocket<'_>) {
    let msg = close(CloseCode::Size, "message too big: at most 4096 bytes");
    if !socket.send(msg).await {
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

async fn serve(socket: Socket, encoding: Encoding, hub: Hub, filter: Filter, shutdown: Shutdown) {
    let stats = || hub.stats();
    let mut socket = ScreenSocket::new(socket, encoding, &hub.stats().wire);
    let mut sub = hub.subscribe(filter.clone());
    sub.rx.borrow_and_update();
    if !socket.send_payload(&hub.hello(&filter)).await {
        return;
    }
    let (mut last_seq, snap) = sub.snapshot();
    if !socket.send_payload(&snap).await {
        return;
    }
    let mut ping = tokio::time::interval_at(tokio::time::Instant::now() + PING_EVERY, PING_EVERY);
    let mut last_heard = Instant::now();
    loop {
        tokio::select! {
            () = shutdown.wait() => {
                let _ = socket.send(close(CloseCode::Away, "server shutting down")).await;
                break;
            }
            changed = sub.rx.changed() => {
                if changed.is_err() {
                    break;
                }
                let published = sub.rx.borrow_and_update().clone();
                // docs/api.md, Live frames, "Sequence and catch-up".
                let (seq, alerts, tick) = match live::next(last_seq, &published) {
                    Next::Skip => {
                        sub.handled(&published);
                        continue;
                    }
                    Next::Regular => (
                        published.seq,
                        published.alerts.clone(),
                        published.tick.clone(),
                    ),
                    Next::CatchUp { since } => {
                        stats().frames_skipped.fetch_add(published.since - since, Relaxed);
                        // Labelled with the tick its figures are of, which
                        // may be newer than `published` (see `catch_up`).
                        let c = sub.catch_up(since, &published);
                        (c.seq, c.alerts, c.tick)
                    }
                };
                // One write for the alert frames and the tick (`socket`).
                let batch: Vec<Payload> = alerts.iter().cloned().chain([tick]).collect();
                let ok = socket.send_payloads(&batch).await;
                sub.handled(&published);
                if !ok {
                    break;
                }
                last_seq = seq;
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
                    if matches!(e, tungstenite::Error::Capacity(_)) {
                        close_too_big(&mut socket).await;
                    }
                    break;
                }
            },
            _ = ping.tick() => {
                if last_heard.elapsed() > IDLE_LIMIT {
                    let _ = socket.send(close(CloseCode::Policy, "no answer to pings")).await;
                    break;
                }
                if !socket.send(Message::Ping(Default::default())).await {
                    break;
                }
            }
        }
    }
}
