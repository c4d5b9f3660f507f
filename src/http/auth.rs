//! Access control (docs/api.md, Auth): bearer tokens per role, and browser
//! origins.
//!
//! `ingest` tokens may post events, `view` tokens may read, open the live
//! socket and load the page, `admin` tokens may do everything (silences
//! included). A token comes as `Authorization: Bearer …`; only where a
//! browser cannot set headers (the live socket and the page) also as
//! `?token=`, since a token in a URL ends up in proxy and access logs.
//! Tokens are compared through SHA-256 digests in constant time and never
//! logged. Without `[auth]` every request passes (and the server said so
//! loudly at start). `/healthz`, `/readyz` and the static assets are always
//! public. Before any of this, `hosts` refuses a `Host` the server does not
//! answer to, and `origins` a foreign page (see `host`).

use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use sha2::{Digest, Sha256};

use super::error::AppError;
use super::router::AppState;
use crate::config::AuthConfig;

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    Ingest,
    View,
    Admin,
}

/// What a route needs: a role, and whether its token may come in the URL.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    Ingest,
    View,
    /// The page and the live socket: view, with `?token=` accepted.
    Screen,
    Admin,
}

impl Access {
    fn role(self) -> Role {
        match self {
            Access::Ingest => Role::Ingest,
            Access::View | Access::Screen => Role::View,
            Access::Admin => Role::Admin,
        }
    }
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

/// The request's token: the bearer header, else (where `url_ok`) `?token=`.
fn token(req: &Request, url_ok: bool) -> Option<String> {
    let bearer = req
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        // The scheme's name is case-insensitive (RFC 9110, 11.1).
        .and_then(|v| {
            v.get(..7)
                .filter(|s| s.eq_ignore_ascii_case("bearer "))
                .and_then(|_| v.get(7..))
        });
    if let Some(t) = bearer {
        return Some(t.trim().to_string());
    }
    if !url_ok {
        return None;
    }
    req.uri()
        .query()?
        .split('&')
        .find_map(|kv| kv.strip_prefix("token="))
        .map(percent_decode)
}

fn url_token(req: &Request) -> bool {
    req.uri()
        .query()
        .is_some_and(|q| q.split('&').any(|kv| kv.starts_with("token=")))
}

/// Whether `auth` lets this request in for `access`.
fn check(auth: &AuthConfig, req: &Request, access: Access) -> Result<(), AppError> {
    let url_ok = access == Access::Screen;
    let Some(token) = token(req, url_ok) else {
        let msg = if url_token(req) {
            "a token in the URL (?token=) is accepted only by the screen and the live socket: \
             send Authorization: Bearer <token>"
        } else if url_ok {
            "a token is required: Authorization: Bearer <token>, or ?token= for the screen"
        } else {
            "a token is required: Authorization: Bearer <token>"
        };
        return Err(AppError::Unauthorized(msg.into()));
    };
    let role = access.role();
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
        Role::Ingest => "post events or notes (needs an ingest or admin token)",
        Role::View => "read figures (needs a view or admin token)",
        Role::Admin => "add silences or delete notes (needs an admin token)",
    };
    Err(AppError::Forbidden(format!("this token may not {what}")))
}

/// The strongest role a known token holds (admin, else view, else ingest).
fn role_of(auth: &AuthConfig, token: &str) -> Option<Role> {
    let (admin, view, ingest) = (
        listed(token, &auth.admin),
        listed(token, &auth.view),
        listed(token, &auth.ingest),
    );
    match (admin, view, ingest) {
        (true, _, _) => Some(Role::Admin),
        (_, true, _) => Some(Role::View),
        (_, _, true) => Some(Role::Ingest),
        _ => None,
    }
}

/// `GET /api/v1/whoami` (docs/api.md, Auth → Who am I): the role of the
/// bearer token, so the screen shows its "add note" box to an admin
/// without trusting anything in its own URL. Open to any listed token;
/// without `[auth]` everyone may do everything: `admin`, `auth: false`.
pub async fn whoami(State(app): State<AppState>, req: Request) -> Response {
    let cfg = app.engine().config();
    let Some(auth) = cfg.auth.as_ref() else {
        return axum::Json(serde_json::json!({"role": Role::Admin, "auth": false})).into_response();
    };
    let Some(token) = token(&req, false) else {
        let e = AppError::Unauthorized("a token is required: Authorization: Bearer <token>".into());
        return e.into_response();
    };
    match role_of(auth, &token) {
        Some(role) => axum::Json(serde_json::json!({"role": role, "auth": true})).into_response(),
        None => AppError::Unauthorized("the token is not valid".into()).into_response(),
    }
}

/// A route's guard: runs only for the methods the route has (it is a
/// method router's `route_layer`), so a wrong method is a 405 first.
pub async fn require(
    State((app, access)): State<(AppState, Access)>,
    req: Request,
    next: Next,
) -> Response {
    let verdict = app
        .engine()
        .config()
        .auth
        .as_ref()
        .map(|auth| check(auth, &req, access));
    if let Some(Err(e)) = verdict {
        return e.into_response();
    }
    next.run(req).await
}

fn host_of(headers: &HeaderMap) -> Option<&str> {
    headers.get(header::HOST).map(|h| h.to_str().unwrap_or(""))
}

/// The node base URLs of `[cluster] screens` (none on a single node).
fn nodes(app: &AppState) -> &[String] {
    app.engine()
        .config()
        .cluster
        .as_ref()
        .map_or(&[], |c| c.screens.as_slice())
}

/// DNS rebinding guard: a `Host` the server does not answer to is refused
/// (421) on every route but the health checks, which show nothing and are
/// probed by load balancers under whatever name they use. A request with
/// no `Host` (HTTP/1.0 tools) passes: browsers always send one.
pub async fn hosts(State(app): State<AppState>, req: Request, next: Next) -> Response {
    let path = req.uri().path();
    if path == "/healthz" || path == "/readyz" {
        return next.run(req).await;
    }
    if let Some(host) = host_of(req.headers()) {
        let cfg = app.engine().config();
        let listed = &cfg.server.allowed_hosts;
        if !(super::host::allowed(host, listed) || super::host::node_name(host, nodes(&app))) {
            return AppError::MisdirectedHost(format!(
                "host {host:?} is not a name this server answers to \
                 (an IP address, localhost, or one listed in [server] allowed_hosts or [cluster] screens)"
            ))
            .into_response();
        }
    }
    next.run(req).await
}

/// Browser origins: a page from another site may call the API (and open
/// the socket) only when listed in `[auth] allowed_origins`, or when it is
/// a node of `[cluster] screens`; such calls get CORS headers. Non-browser clients send no `Origin` and pass.
pub async fn origins(State(app): State<AppState>, req: Request, next: Next) -> Response {
    let Some(origin) = req
        .headers()
        .get(header::ORIGIN)
        .and_then(|o| o.to_str().ok())
        .map(str::to_string)
    else {
        return next.run(req).await;
    };
    if host_of(req.headers()).is_some_and(|h| super::host::same_origin(&origin, h)) {
        return next.run(req).await;
    }
    // A screen page served by another node of the cluster (moving here
    // when its own node is gone) is warroom's own, not another site.
    let allowed = super::host::node_origin(&origin, nodes(&app))
        || app
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

    #[test]
    fn a_wrong_role_is_told_what_the_route_needs() {
        let auth = AuthConfig {
            ingest: vec!["ingest-1".into()],
            view: vec!["view-123".into()],
            admin: vec!["admin-12".into()],
            allowed_origins: vec![],
        };
        let req = |token: &str| {
            Request::builder()
                .header(header::AUTHORIZATION, format!("Bearer {token}"))
                .body(axum::body::Body::empty())
                .expect("a request")
        };
        let said = |token: &str, access: Access| match check(&auth, &req(token), access) {
            Err(AppError::Forbidden(m)) => m,
            other => panic!("{other:?}"),
        };
        // A view token posting a note, an ingest token deleting one.
        assert!(said("view-123", Access::Ingest).contains("notes"));
        assert!(said("ingest-1", Access::Admin).contains("delete notes"));
    }

    #[test]
    fn the_strongest_role_wins() {
        let auth = AuthConfig {
            ingest: vec!["ingest-1".into(), "both-12".into()],
            view: vec!["view-123".into(), "both-12".into()],
            admin: vec!["admin-12".into()],
            allowed_origins: vec![],
        };
        assert_eq!(role_of(&auth, "admin-12"), Some(Role::Admin));
        assert_eq!(role_of(&auth, "view-123"), Some(Role::View));
        assert_eq!(role_of(&auth, "ingest-1"), Some(Role::Ingest));
        assert_eq!(role_of(&auth, "both-12"), Some(Role::View));
        assert_eq!(role_of(&auth, "nobody-1"), None);
    }
}
