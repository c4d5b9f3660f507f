//! The war-room screen: `web/` embedded in the binary, served at `/`.
//!
//! Plain files, no build step. `index.html` is served without caching and
//! names its assets under `/assets/<version>/`, which are cached for a year
//! (a new release is a new URL). `--web-dir DIR` serves the files from disk
//! instead, uncached, for editing the screen without rebuilding.

use std::path::PathBuf;

use axum::extract::{Path, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};

use super::router::AppState;

const VERSION: &str = env!("CARGO_PKG_VERSION");

/// (name, content type, embedded text)
const FILES: &[(&str, &str, &str)] = &[
    (
        "index.html",
        "text/html; charset=utf-8",
        include_str!("../../web/index.html"),
    ),
    (
        "app.js",
        "text/javascript; charset=utf-8",
        include_str!("../../web/app.js"),
    ),
    (
        "charts.js",
        "text/javascript; charset=utf-8",
        include_str!("../../web/charts.js"),
    ),
    (
        "efficiency.js",
        "text/javascript; charset=utf-8",
        include_str!("../../web/efficiency.js"),
    ),
    (
        "figures.js",
        "text/javascript; charset=utf-8",
        include_str!("../../web/figures.js"),
    ),
    (
        "format.js",
        "text/javascript; charset=utf-8",
        include_str!("../../web/format.js"),
    ),
    (
        "markers.js",
        "text/javascript; charset=utf-8",
        include_str!("../../web/markers.js"),
    ),
    (
        "notebox.js",
        "text/javascript; charset=utf-8",
        include_str!("../../web/notebox.js"),
    ),
    (
        "notes.js",
        "text/javascript; charset=utf-8",
        include_str!("../../web/notes.js"),
    ),
    (
        "pages.js",
        "text/javascript; charset=utf-8",
        include_str!("../../web/pages.js"),
    ),
    (
        "regions.js",
        "text/javascript; charset=utf-8",
        include_str!("../../web/regions.js"),
    ),
    (
        "tilemap.js",
        "text/javascript; charset=utf-8",
        include_str!("../../web/tilemap.js"),
    ),
    (
        "style.css",
        "text/css; charset=utf-8",
        include_str!("../../web/style.css"),
    ),
];

/// Where the screen's files come from.
#[derive(Debug, Clone, Default)]
pub struct WebAssets {
    /// `None`: the embedded copy.
    pub dir: Option<PathBuf>,
}

impl WebAssets {
    fn load(&self, name: &str) -> Option<(&'static str, String)> {
        let &(_, kind, embedded) = FILES.iter().find(|f| f.0 == name)?;
        match &self.dir {
            None => Some((kind, embedded.to_string())),
            Some(dir) => match std::fs::read_to_string(dir.join(name)) {
                Ok(text) => Some((kind, text)),
                Err(e) => {
                    tracing::warn!(file = %dir.join(name).display(), error = %e, "cannot read web file");
                    None
                }
            },
        }
    }
}

pub async fn index(State(app): State<AppState>) -> Response {
    match app.web.load("index.html") {
        Some((kind, text)) => (
            [
                (header::CONTENT_TYPE, kind),
                (header::CACHE_CONTROL, "no-cache"),
            ],
            text.replace("{{VERSION}}", VERSION),
        )
            .into_response(),
        None => StatusCode::NOT_FOUND.into_response(),
    }
}

pub async fn asset(
    State(app): State<AppState>,
    Path((version, file)): Path<(String, String)>,
) -> Response {
    if file == "index.html" {
        return StatusCode::NOT_FOUND.into_response();
    }
    let Some((kind, text)) = app.web.load(&file) else {
        return StatusCode::NOT_FOUND.into_response();
    };
    let cache = if app.web.dir.is_none() && version == VERSION {
        "public, max-age=31536000, immutable"
    } else {
        "no-cache"
    };
    (
        [(header::CONTENT_TYPE, kind), (header::CACHE_CONTROL, cache)],
        text,
    )
        .into_response()
}

#[cfg(test)]
mod tests {
    use super::FILES;

    /// A module added to `web/` but not embedded would be a 404 in production
    /// while `--web-dir web` serves it.
    #[test]
    fn every_file_in_web_is_embedded() {
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/web");
        let entries = std::fs::read_dir(dir).expect("web/");
        for entry in entries.flatten() {
            let name = entry.file_name().to_string_lossy().into_owned();
            if name.ends_with(".js") || name.ends_with(".css") || name.ends_with(".html") {
                assert!(
                    FILES.iter().any(|f| f.0 == name),
                    "web/{name} is not in FILES"
                );
            }
        }
    }
}
