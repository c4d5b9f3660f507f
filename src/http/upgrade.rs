//! The screen socket's WebSocket handshake (RFC 6455, 4.2), our own rather
//! than axum's so it can negotiate `permessage-deflate` (docs/api.md, Live
//! frames, "Compression").
//!
//! [`Handshake`] is an extractor: it checks the request is a WebSocket
//! upgrade (`400`/`426` with a JSON reason otherwise), reads the
//! extensions offered, and takes hyper's upgrade handle. [`Handshake::accept`]
//! answers `101` and, once hyper hands the connection over, wraps it in a
//! tungstenite stream with the caller's limits. Routing, auth, `Host` and
//! `Origin` checks stay where they are: they run before this extractor.

use std::future::Future;

use axum::Json;
use axum::body::Body;
use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::response::{IntoResponse, Response};
use base64::Engine as _;
use hyper::upgrade::OnUpgrade;
use tokio_tungstenite::WebSocketStream;
use tungstenite::protocol::{Role, WebSocketConfig};

use super::extensions;
use super::screen_io::{self, ScreenIo};
use crate::screens::Slot;

/// An upgraded screen connection (see `screen_io`).
pub type Socket = WebSocketStream<Box<dyn ScreenIo>>;

/// How a socket's messages are sent, agreed at the upgrade.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Encoding {
    Plain,
    /// `permessage-deflate`, no context takeover either way.
    Deflate,
}

/// Why a request to the socket's path is not a WebSocket handshake.
#[derive(Debug, thiserror::Error)]
pub enum HandshakeError {
    #[error("a WebSocket handshake is a GET, not {0}")]
    NotGet(Method),
    #[error("this path is a WebSocket: send `Upgrade: websocket`")]
    NoUpgrade,
    #[error("a WebSocket handshake needs `Connection: upgrade`")]
    NoConnectionUpgrade,
    #[error("only WebSocket version 13 is spoken (`Sec-WebSocket-Version: 13`)")]
    Version,
    #[error("`Sec-WebSocket-Key` is missing or not 16 bytes in base64")]
    Key,
    #[error("this connection cannot be upgraded")]
    NotUpgradable,
}

impl IntoResponse for HandshakeError {
    fn into_response(self) -> Response {
        let status = match self {
            HandshakeError::NoUpgrade | HandshakeError::Version | HandshakeError::NotUpgradable => {
                StatusCode::UPGRADE_REQUIRED
            }
            _ => StatusCode::BAD_REQUEST,
        };
        let body = Json(serde_json::json!({ "error": self.to_string() }));
        let mut resp = (status, body).into_response();
        if status == StatusCode::UPGRADE_REQUIRED {
            let h = resp.headers_mut();
            h.insert(header::UPGRADE, HeaderValue::from_static("websocket"));
            h.insert(header::CONNECTION, HeaderValue::from_static("upgrade"));
            h.insert(
                header::SEC_WEBSOCKET_VERSION,
                HeaderValue::from_static("13"),
            );
        }
        resp
    }
}

/// A valid WebSocket handshake, not yet answered.
pub struct Handshake {
    key: HeaderValue,
    on_upgrade: OnUpgrade,
    /// Our `Sec-WebSocket-Extensions` answer, when we compress.
    deflate: Option<HeaderValue>,
}

impl<S: Send + Sync> FromRequestParts<S> for Handshake {
    type Rejection = HandshakeError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, HandshakeError> {
        let h = &parts.headers;
        if parts.method != Method::GET {
            return Err(HandshakeError::NotGet(parts.method.clone()));
        }
        if !has_token(h, header::UPGRADE, "websocket") {
            return Err(HandshakeError::NoUpgrade);
        }
        if !has_token(h, header::CONNECTION, "upgrade") {
            return Err(HandshakeError::NoConnectionUpgrade);
        }
        if h.get(header::SEC_WEBSOCKET_VERSION)
            .map(HeaderValue::as_bytes)
            != Some(b"13")
        {
            return Err(HandshakeError::Version);
        }
        let key = h
            .get(header::SEC_WEBSOCKET_KEY)
            .filter(|k| {
                base64::engine::general_purpose::STANDARD
                    .decode(k.as_bytes())
                    .is_ok_and(|nonce| nonce.len() == 16)
            })
            .ok_or(HandshakeError::Key)?
            .clone();
        let offers = extensions::parse(
            h.get_all(header::SEC_WEBSOCKET_EXTENSIONS)
                .iter()
                .filter_map(|v| v.to_str().ok()),
        );
        let on_upgrade = parts
            .extensions
            .remove::<OnUpgrade>()
            .ok_or(HandshakeError::NotUpgradable)?;
        Ok(Handshake {
            key,
            on_upgrade,
            deflate: extensions::choose_deflate(&offers)
                .and_then(|a| HeaderValue::from_str(&a).ok()),
        })
    }
}

impl Handshake {
    /// What the socket will send once accepted.
    pub fn encoding(&self) -> Encoding {
        match self.deflate {
            Some(_) => Encoding::Deflate,
            None => Encoding::Plain,
        }
    }

    /// Answers `101` and runs `serve` on the socket, in `slot`, once hyper
    /// hands the connection over (a failed upgrade is logged and dropped).
    pub fn accept<F, Fut>(self, config: WebSocketConfig, slot: Slot, serve: F) -> Response
    where
        F: FnOnce(Socket, Encoding) -> Fut + Send + 'static,
        Fut: Future<Output = ()> + Send + 'static,
    {
        let encoding = self.encoding();
        let on_upgrade = self.on_upgrade;
        slot.spawn(async move {
            match on_upgrade.await {
                Ok(upgraded) => match screen_io::take(upgraded) {
                    Ok(taken) => {
                        let socket = WebSocketStream::from_partially_read(
                            taken.io,
                            taken.read,
                            Role::Server,
                            Some(config),
                        )
                        .await;
                        serve(socket, encoding).await;
                    }
                    Err(e) => tracing::debug!(error = %e, "a screen's connection was lost"),
                },
                Err(e) => tracing::debug!(error = %e, "a screen's upgrade failed"),
            }
        });
        let accept = tungstenite::handshake::derive_accept_key(self.key.as_bytes());
        let mut resp = Response::new(Body::empty());
        *resp.status_mut() = StatusCode::SWITCHING_PROTOCOLS;
        let h = resp.headers_mut();
        h.insert(header::UPGRADE, HeaderValue::from_static("websocket"));
        h.insert(header::CONNECTION, HeaderValue::from_static("upgrade"));
        if let Ok(accept) = HeaderValue::from_str(&accept) {
            h.insert(header::SEC_WEBSOCKET_ACCEPT, accept);
        }
        if let Some(answer) = self.deflate {
            h.insert(header::SEC_WEBSOCKET_EXTENSIONS, answer);
        }
        resp
    }
}

/// Whether a comma-separated header holds `token` (any case), in any of
/// its values.
fn has_token(headers: &HeaderMap, name: header::HeaderName, token: &str) -> bool {
    headers
        .get_all(name)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .any(|t| t.trim().eq_ignore_ascii_case(token))
}
