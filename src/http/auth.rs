//! Access control (docs/api.md, Auth): bearer tokens per role, and browser
//! origins.
//!
//! `ingest` tokens may post events, `view` tokens may read, open the live
//! socket and load the page, `admin` tokens may do everything (silences
//! included). A token comes as `Authorization: Bearer …` or, where a
//! browser cannot set headers (the socket, the page), as `?token=`. Tokens
//! are compared through SHA-256 digests in constant time and never logged.
//! Without `[auth]` every request passes (and the server said so loudly at
//! start). `/healthz`, `/readyz` and the static assets are always public.

use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use sha2::{Digest, Sha256};

use super::error::AppError;
use super::router::AppState;
use crate::config::AuthConfig;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    Ingest,
    View,
    Admin,
}

/// Equal strings, in time independent of where they differ.
fn same(a: &str, b: &str) -> bool {
    let (x, y) = (Sha256::digest(a.as_bytes()), Sha256::digest(b.as_bytes()));
    x.iter()
        .zip(y.iter())
        .fold(0u8, |acc, (p, q)| acc | (p ^ q))
        == 0
}

fn listed(token: &str, list: &[String]) -> bool {
    // Check every entry, so timing does not tell which one matched.
    list.iter().fold(false, |hit, t| same(token, t) | hit)
}

fn percent_decode(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'%' if i + 2 < b.len() => {
                let hex = std::str::from_utf8(&b[i + 1..i + 3])
                    .ok()
                    .and_then(|h| u8::from_str_radix(h, 16).ok());
                match hex {
                    Some(v) => {
                        out.push(v);
                        i += 3;
                        continue;
                    }
                    None => out.push(b'%'),
                }
            }
            b'+' => out.push(b' '),
            c => out.push(c),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// The request's token: the bearer header, else `?token=`.
fn token(req: &Request) -> Option<String> {
    let bearer = req
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| {
            v.strip_prefix("Bearer ")
                .or_else(|| v.strip_prefix("bearer "))
        });
    if let Some(t) = bearer {
        return Some(t.trim().to_string());
    }
    req.uri()
        .query()?
        .split('&')
        .find_map(|kv| kv.strip_prefix("token="))
        .map(percent_decode)
}

/// Whether `auth` lets this request in with `role`.
fn check(auth: &AuthConfig, req: &Request, role: Role) -> Result<(), AppError> {
    let Some(token) = token(req) else {
        return Err(AppError::Unauthorized(
            "a token is required: Authorization: Bearer <token> (or ?token= for the screen)".into(),
        ));
    };
    let admin = listed(&token, &auth.admin);
    let ok = admin
        || match role {
            Role::Ingest => listed(&token, &auth.ingest),
            Role::View => listed(&token, &auth.view),
            Role::Admin => false,
        };
    if ok {
        return Ok(());
    }
    let known = admin || listed(&token, &auth.ingest) || listed(&token, &auth.view);
    if !known {
        return Err(AppError::Unauthorized("the token is not valid".into()));
    }
    let what = match role {
        Role::Ingest => "post events (needs an ingest or admin token)",
        Role::View => "read figures (needs a view or admin token)",
        Role::Admin => "change settings (needs an admin token)",
    };
    Err(AppError::Forbidden(format!("this token may not {what}")))
}

async fn require(app: AppState, req: Request, next: Next, role: Role) -> Response {
    let verdict = app
        .engine()
        .config()
        .auth
        .as_ref()
        .map(|auth| check(auth, &req, role));
    if let Some(Err(e)) = verdict {
        return e.into_response();
    }
    next.run(req).await
}

pub async fn ingest(State(app): State<AppState>, req: Request, next: Next) -> Response {
    require(app, req, next, Role::Ingest).await
}

pub async fn view(State(app): State<AppState>, req: Request, next: Next) -> Response {
    require(app, req, next, Role::View).await
}

pub async fn admin(State(app): State<AppState>, req: Request, next: Next) -> Response {
    require(app, req, next, Role::Admin).await
}

/// True when `origin` is this server itself (the page served from here).
fn same_origin(origin: &str, headers: &HeaderMap) -> bool {
    let host = headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .unwrap_or_default();
    origin
        .split_once("://")
        .is_some_and(|(_, rest)| rest == host)
}

/// Browser origins: a page from another site may call the API (and open
/// the socket) only when listed in `[auth] allowed_origins`; such calls
/// get CORS headers. Non-browser clients send no `Origin` and pass.
pub async fn origins(State(app): State<AppState>, req: Request, next: Next) -> Response {
    let Some(origin) = req
        .headers()
        .get(header::ORIGIN)
        .and_then(|o| o.to_str().ok())
        .map(str::to_string)
    else {
        return next.run(req).await;
    };
    if same_origin(&origin, req.headers()) {
        return next.run(req).await;
    }
    let allowed = app
        .engine()
        .config()
        .auth
        .as_ref()
        .is_some_and(|a| a.allowed_origins.iter().any(|o| o == &origin || o == "*"));
    if !allowed {
        return AppError::Forbidden(format!(
            "origin {origin} is not allowed (see [auth] allowed_origins)"
        ))
        .into_response();
    }
    let preflight = req.method() == Method::OPTIONS;
    let mut resp = if preflight {
        StatusCode::NO_CONTENT.into_response()
    } else {
        next.run(req).await
    };
    let h = resp.headers_mut();
    if let Ok(v) = HeaderValue::from_str(&origin) {
        h.insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, v);
    }
    h.insert(header::VARY, HeaderValue::from_static("Origin"));
    if preflight {
        h.insert(
            header::ACCESS_CONTROL_ALLOW_METHODS,
            HeaderValue::from_static("GET, POST, OPTIONS"),
        );
        h.insert(
            header::ACCESS_CONTROL_ALLOW_HEADERS,
            HeaderValue::from_static("authorization, content-type"),
        );
        h.insert(
            header::ACCESS_CONTROL_MAX_AGE,
            HeaderValue::from_static("600"),
        );
    }
    resp
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_compare_exactly() {
        assert!(same("abcdefgh", "abcdefgh"));
        assert!(!same("abcdefgh", "abcdefgX"));
        assert!(!same("abcdefgh", "abcdefghi"));
        assert!(listed("b", &["a".into(), "b".into()]));
        assert_eq!(percent_decode("a%2Bb%3D"), "a+b=");
    }
}
