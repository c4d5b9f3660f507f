//! docs/api.md, Auth: tokens per role on HTTP, the live socket and the page;
//! tokens from the environment and files; origins; and no open server on
//! a network address by accident.

use std::process::Command;

use warroom::config::AuthConfig;

use crate::support::{MIN, SALE_TOML, START, raw_request, spawn_app, test_config};

const INGEST: &str = "ingest-token-1";
const VIEW: &str = "view-token-123";
const ADMIN: &str = "admin-token-42";

async fn app_with_auth() -> crate::support::TestApp {
    let mut cfg = test_config();
    cfg.auth = Some(AuthConfig {
        ingest: vec![INGEST.into()],
        view: vec![VIEW.into()],
        admin: vec![ADMIN.into()],
        allowed_origins: vec!["https://wall.example".into()],
    });
    spawn_app(cfg, START + MIN).await
}

async fn status(
    app: &crate::support::TestApp,
    method: &str,
    path: &str,
    token: Option<&str>,
) -> u16 {
    let url = format!("{}{path}", app.base);
    let mut req = match method {
        "POST" => app
            .client
            .post(url)
            .body(r#"{"type":"stock","sku":"k1","level":5}"#),
        _ => app.client.get(url),
    };
    if let Some(t) = token {
        req = req.bearer_auth(t);
    }
    req.send().await.expect("request").status().as_u16()
}

#[tokio::test]
async fn each_role_may_do_what_it_should_and_nothing_more() {
    let app = app_with_auth().await;
    let cases: [(&str, &str, Option<&str>, u16); 20] = [
        ("POST", "/api/v1/events", None, 401),
        ("POST", "/api/v1/events", Some("wrong-token-0"), 401),
        ("POST", "/api/v1/events", Some(VIEW), 403),
        ("POST", "/api/v1/events", Some(INGEST), 200),
        ("POST", "/api/v1/events", Some(ADMIN), 200),
        ("GET", "/api/v1/summary", None, 401),
        ("GET", "/api/v1/summary", Some(INGEST), 403),
        ("GET", "/api/v1/summary", Some(VIEW), 200),
        ("GET", "/api/v1/summary", Some(ADMIN), 200),
        ("GET", "/api/v1/stores/s1", Some(VIEW), 200),
        ("GET", "/metrics", None, 401),
        ("GET", "/metrics", Some(VIEW), 200),
        ("GET", "/", None, 401),
        ("GET", "/", Some(VIEW), 200),
        ("POST", "/api/v1/silences", Some(VIEW), 403),
        ("POST", "/api/v1/silences", Some(INGEST), 403),
        ("GET", "/healthz", None, 200),
        ("GET", "/readyz", None, 200),
        ("GET", "/api/v1/alerts", Some(VIEW), 200),
        ("GET", "/api/v1/export", Some(INGEST), 403),
    ];
    for (method, path, token, want) in cases {
        assert_eq!(
            status(&app, method, path, token).await,
            want,
            "{method} {path} with {token:?}"
        );
    }
    let r = app
        .client
        .post(format!("{}/api/v1/silences", app.base))
        .bearer_auth(ADMIN)
        .body(r#"{"rule":"spike","for_s":60}"#)
        .send()
        .await
        .expect("silence");
    assert_eq!(r.status(), 201);

    // 401 says how to authenticate and never echoes the token.
    let r = app
        .client
        .get(format!("{}/api/v1/summary", app.base))
        .bearer_auth("secret-guess-1")
        .send()
        .await
        .expect("GET");
    assert_eq!(r.headers()["www-authenticate"], "Bearer");
    let text = r.text().await.expect("body");
    assert!(!text.contains("secret-guess-1"), "{text}");

    // The page and the socket take ?token=.
    let page = app
        .client
        .get(format!("{}/?token={VIEW}", app.base))
        .send()
        .await
        .expect("page");
    assert_eq!(page.status(), 200);
    let asset = app
        .client
        .get(format!(
            "{}/assets/{}/app.js",
            app.base,
            env!("CARGO_PKG_VERSION")
        ))
        .send()
        .await
        .expect("asset");
    assert_eq!(asset.status(), 200, "static code is public");
    let ws =
        |q: &str| tokio_tungstenite::connect_async(format!("ws://{}/api/v1/live{q}", app.addr));
    assert!(ws("").await.is_err(), "no token");
    assert!(ws(&format!("?token={INGEST}")).await.is_err(), "wrong kind");
    assert!(ws(&format!("?token={VIEW}")).await.is_ok(), "view token");
}

#[tokio::test]
async fn origins_are_checked_and_allowed_ones_get_cors() {
    let app = app_with_auth().await;
    let get = |origin: &'static str| {
        app.client
            .get(format!("{}/api/v1/summary", app.base))
            .bearer_auth(VIEW)
            .header("origin", origin)
            .send()
    };
    let r = get("https://evil.example").await.expect("GET");
    assert_eq!(r.status(), 403);
    let r = get("https://wall.example").await.expect("GET");
    assert_eq!(r.status(), 200);
    assert_eq!(
        r.headers()["access-control-allow-origin"],
        "https://wall.example"
    );
    let same = format!("http://{}", app.addr);
    let r = app
        .client
        .get(format!("{}/api/v1/summary", app.base))
        .bearer_auth(VIEW)
        .header("origin", same)
        .send()
        .await
        .expect("GET");
    assert_eq!(r.status(), 200, "the server's own page");
    let pre = app
        .client
        .request(
            reqwest::Method::OPTIONS,
            format!("{}/api/v1/events", app.base),
        )
        .header("origin", "https://wall.example")
        .send()
        .await
        .expect("preflight");
    assert_eq!(pre.status(), 204);
}

#[test]
fn tokens_come_from_the_environment_and_files_and_stay_secret() {
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::write(dir.path().join("view.token"), "from-a-file-123\n").expect("write");
    // Set only for the child process below, never in this one.
    let var = "WARROOM_TEST_INGEST_TOKEN_7";
    let text =
        format!("{SALE_TOML}\n[auth]\ningest = [\"env:{var}\"]\nview = [\"file:view.token\"]\n");
    std::fs::write(dir.path().join("sale.toml"), &text).expect("write");
    let err = warroom::config::load_file(&dir.path().join("sale.toml")).expect_err("env missing");
    assert!(err.message.contains(var) && err.line.is_some(), "{err}");
    let out = Command::new(env!("CARGO_BIN_EXE_warroom"))
        .args(["check-config"])
        .arg(dir.path().join("sale.toml"))
        .env(var, "from-the-env-456")
        .output()
        .expect("check-config");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let cfg = warroom::config::load_file(&dir.path().join("sale.toml"));
    assert!(cfg.is_err(), "this process has no such variable");
    let short = format!("{SALE_TOML}\n[auth]\nadmin = [\"short\"]\n");
    let err = warroom::config::parse_str(&short, "sale.toml", dir.path()).expect_err("short");
    assert!(
        err.message.contains("at least 8") && !err.message.contains("short\""),
        "{err}"
    );
    let ok = format!("{SALE_TOML}\n[auth]\nadmin = [\"a-long-admin-token\"]\n");
    let cfg = warroom::config::parse_str(&ok, "sale.toml", dir.path()).expect("valid");
    assert!(
        !format!("{cfg:?}").contains("a-long-admin-token"),
        "Debug never shows tokens"
    );
}

#[test]
fn an_open_server_refuses_a_network_address_unless_told() {
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::write(dir.path().join("sale.toml"), SALE_TOML).expect("write");
    let out = Command::new(env!("CARGO_BIN_EXE_warroom"))
        .args(["serve", "--listen", "0.0.0.0:0", "--config"])
        .arg(dir.path().join("sale.toml"))
        .output()
        .expect("serve");
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("refusing to listen on 0.0.0.0:0 without [auth]")
            && err.contains("--allow-open"),
        "{err}"
    );
}

/// The status line and the body of a raw answer.
fn split(answer: &str) -> (&str, &str) {
    let status = answer.lines().next().unwrap_or("");
    let body = answer.split_once("\r\n\r\n").map_or("", |(_, b)| b);
    (status, body)
}

/// Issue 12, item 11: a loopback server without `[auth]` refuses a page
/// whose name was re-pointed at it (DNS rebinding): `Host` must be a name
/// the server answers to, and `Origin` is compared whole (scheme, host,
/// port), not only after its `://`.
#[tokio::test]
async fn dns_rebinding_is_refused_by_host_and_whole_origin() {
    let text = format!("{SALE_TOML}\n[server]\nallowed_hosts = [\"Warroom.Example.com\"]\n");
    let cfg =
        warroom::config::parse_str(&text, "sale.toml", std::path::Path::new(".")).expect("valid");
    let app = spawn_app(cfg, START + MIN).await;
    let port = app.addr.port();
    let wait = std::time::Duration::from_secs(5);
    let event = r#"{"type":"stock","sku":"k1","level":5}"#;
    let post = |host: String, origin: Option<String>| {
        let origin = origin.map_or(String::new(), |o| format!("origin: {o}\r\n"));
        format!(
            "POST /api/v1/events HTTP/1.1\r\nhost: {host}\r\n{origin}content-type: application/x-ndjson\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{event}",
            event.len()
        )
    };
    let get = |path: &str, host: String, origin: Option<String>| {
        let origin = origin.map_or(String::new(), |o| format!("origin: {o}\r\n"));
        format!("GET {path} HTTP/1.1\r\nhost: {host}\r\n{origin}connection: close\r\n\r\n")
    };
    let evil = format!("evil.example:{port}");

    // The forged host is refused, with a JSON reason naming it.
    let answer = raw_request(
        app.addr,
        post(evil.clone(), Some(format!("http://{evil}"))).as_bytes(),
        wait,
    )
    .await;
    let (status, body) = split(&answer);
    assert!(status.starts_with("HTTP/1.1 421"), "{answer}");
    let json: serde_json::Value = serde_json::from_str(body).expect("JSON error");
    assert!(
        json["error"]
            .as_str()
            .is_some_and(|e| e.contains("evil.example") && e.contains("allowed_hosts")),
        "{body}"
    );
    let answer = raw_request(
        app.addr,
        get(
            "/api/v1/summary",
            evil.clone(),
            Some(format!("http://{evil}")),
        )
        .as_bytes(),
        wait,
    )
    .await;
    assert!(answer.starts_with("HTTP/1.1 421"), "{answer}");
    let answer = raw_request(app.addr, get("/", evil.clone(), None).as_bytes(), wait).await;
    assert!(answer.starts_with("HTTP/1.1 421"), "the page too: {answer}");
    let answer = raw_request(app.addr, get("/healthz", evil, None).as_bytes(), wait).await;
    assert!(
        answer.starts_with("HTTP/1.1 200"),
        "health checks: {answer}"
    );
    let applied = app.get("/api/v1/summary").await["events_applied"].clone();
    assert_eq!(applied, 0, "nothing was posted");

    // An origin is compared whole: another scheme or port is another site.
    let own = format!("127.0.0.1:{port}");
    for origin in [
        format!("ftp://{own}"),
        format!("http://127.0.0.1:{}", port + 1),
    ] {
        let answer = raw_request(
            app.addr,
            get("/api/v1/summary", own.clone(), Some(origin.clone())).as_bytes(),
            wait,
        )
        .await;
        assert!(answer.starts_with("HTTP/1.1 403"), "{origin}: {answer}");
    }

    // What the server answers to: its address, localhost, the listed name.
    for (host, origin) in [
        (own.clone(), Some(format!("http://{own}"))),
        (
            format!("localhost:{port}"),
            Some(format!("http://localhost:{port}")),
        ),
        (format!("[::1]:{port}"), None),
        (
            "warroom.example.com".to_string(),
            Some("https://warroom.example.com".to_string()),
        ),
        ("WARROOM.example.com:443".to_string(), None),
    ] {
        let answer = raw_request(app.addr, post(host.clone(), origin).as_bytes(), wait).await;
        assert!(answer.starts_with("HTTP/1.1 200"), "{host}: {answer}");
    }

    // A listed name is a name: no scheme, port or path.
    let bad = format!("{SALE_TOML}\n[server]\nallowed_hosts = [\"http://wall.example:80\"]\n");
    let err = warroom::config::parse_str(&bad, "sale.toml", std::path::Path::new("."))
        .expect_err("a URL is not a host name");
    assert!(
        err.message.contains("server.allowed_hosts") && err.line.is_some(),
        "{err}"
    );
}

/// Issue 12, item 14: `?token=` is taken only where a browser cannot send
/// a header (the page and the live socket); elsewhere it is not read, and
/// the 401 says to send the header.
#[tokio::test]
async fn tokens_in_urls_are_taken_only_by_the_page_and_the_socket() {
    let app = app_with_auth().await;
    let cases = [
        ("POST", format!("/api/v1/events?token={INGEST}")),
        ("GET", format!("/api/v1/export?token={VIEW}")),
        ("GET", format!("/metrics?token={VIEW}")),
        ("GET", format!("/api/v1/summary?token={VIEW}")),
        ("GET", format!("/api/v1/silences?token={ADMIN}")),
        ("POST", format!("/api/v1/silences?token={ADMIN}")),
    ];
    for (method, path) in cases {
        let url = format!("{}{path}", app.base);
        let req = match method {
            "POST" => app
                .client
                .post(url)
                .body(r#"{"type":"stock","sku":"k1","level":5}"#),
            _ => app.client.get(url),
        };
        let r = req.send().await.expect("request");
        assert_eq!(r.status(), 401, "{method} {path}");
        let body: serde_json::Value = r.json().await.expect("JSON");
        assert!(
            body["error"]
                .as_str()
                .is_some_and(|e| e.contains("Authorization: Bearer")),
            "{body}"
        );
    }
    let page = app
        .client
        .get(format!("{}/?token={VIEW}", app.base))
        .send()
        .await
        .expect("page");
    assert_eq!(page.status(), 200);
    let ws =
        tokio_tungstenite::connect_async(format!("ws://{}/api/v1/live?token={VIEW}", app.addr));
    assert!(ws.await.is_ok(), "the socket takes ?token=");
}

/// Issue 12, item 19: a wrong method is `405` with `Allow` and a JSON
/// reason, whatever the token, before any role is asked for.
#[tokio::test]
async fn a_wrong_method_is_405_with_allow_before_any_token() {
    let app = app_with_auth().await;
    let cases: [(reqwest::Method, &str, Option<&str>, &str); 5] = [
        (reqwest::Method::GET, "/api/v1/events", Some(VIEW), "POST"),
        (reqwest::Method::GET, "/api/v1/events", None, "POST"),
        (
            reqwest::Method::POST,
            "/api/v1/summary",
            Some(INGEST),
            "GET",
        ),
        (reqwest::Method::DELETE, "/api/v1/silences", None, "POST"),
        (reqwest::Method::PUT, "/metrics", Some(VIEW), "GET"),
    ];
    for (method, path, token, allowed) in cases {
        let mut req = app
            .client
            .request(method.clone(), format!("{}{path}", app.base));
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        let r = req.send().await.expect("request");
        assert_eq!(r.status(), 405, "{method} {path}");
        let allow = r.headers()["allow"].to_str().expect("text").to_string();
        assert!(allow.contains(allowed), "{method} {path}: Allow: {allow}");
        let body: serde_json::Value = r.json().await.expect("a JSON error");
        assert!(
            body["error"]
                .as_str()
                .is_some_and(|e| e.contains("not allowed"))
        );
    }
}

/// The JSON reason of a `405` names the methods the path takes, as its
/// `Allow` header does (docs/api.md, conventions): the error layer must
/// see the response after the router has added `Allow`.
#[tokio::test]
async fn a_405_reason_names_the_methods_allowed() {
    let app = app_with_auth().await;
    for (method, path, allowed) in [
        (reqwest::Method::DELETE, "/api/v1/events", "POST"),
        (reqwest::Method::PUT, "/api/v1/silences", "GET,HEAD,POST"),
    ] {
        let r = app
            .client
            .request(method.clone(), format!("{}{path}", app.base))
            .send()
            .await
            .expect("request");
        assert_eq!(r.status(), 405, "{method} {path}");
        assert_eq!(r.headers()["allow"], allowed, "{method} {path}");
        let body: serde_json::Value = r.json().await.expect("a JSON error");
        let error = body["error"].as_str().unwrap_or_default().to_string();
        assert!(
            error.contains(&format!("(allowed: {allowed})")),
            "{method} {path}: {error}"
        );
    }
}

/// The scheme's name in `Authorization` is case-insensitive.
#[tokio::test]
async fn the_bearer_scheme_is_read_in_any_case() {
    let app = app_with_auth().await;
    for scheme in ["Bearer", "bearer", "BEARER", "bEaReR"] {
        let r = app
            .client
            .get(format!("{}/api/v1/summary", app.base))
            .header("authorization", format!("{scheme} {VIEW}"))
            .send()
            .await
            .expect("GET");
        assert_eq!(r.status(), 200, "{scheme}");
    }
}

/// `warroom demo --allowed-host NAME`: a demo shown on a LAN by its host
/// name passes the Host check; other names still get 421.
#[tokio::test]
async fn the_demo_takes_allowed_host_names_from_the_command_line() {
    use std::io::{BufRead, BufReader};
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_warroom"))
        .args(["demo", "--rate", "0", "--listen", "127.0.0.1:0"])
        .args(["--allowed-host", "Laptop.Local."])
        .env("RUST_LOG", "warn")
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("start the demo");
    let out = child.stdout.take().expect("stdout");
    let addr: std::net::SocketAddr = BufReader::new(out)
        .lines()
        .map_while(Result::ok)
        .find_map(|l| {
            let url = l.split_whitespace().find(|w| w.starts_with("http://"))?;
            url.trim_start_matches("http://")
                .trim_end_matches('/')
                .parse()
                .ok()
        })
        .expect("the demo's address");
    let ask = |host: &str| {
        format!(
            "GET /api/v1/summary HTTP/1.1\r\nHost: {host}:{}\r\nConnection: close\r\n\r\n",
            addr.port()
        )
    };
    let wait = std::time::Duration::from_secs(5);
    let ok = raw_request(addr, ask("laptop.local").as_bytes(), wait).await;
    let other = raw_request(addr, ask("evil.example").as_bytes(), wait).await;
    let _ = child.kill();
    let _ = child.wait();
    assert!(ok.starts_with("HTTP/1.1 200"), "{ok}");
    assert!(other.starts_with("HTTP/1.1 421"), "{other}");

    let bad = std::process::Command::new(env!("CARGO_BIN_EXE_warroom"))
        .args(["demo", "--rate", "0", "--listen", "127.0.0.1:0"])
        .args(["--allowed-host", "http://x:1/"])
        .output()
        .expect("run");
    assert!(!bad.status.success());
    let err = String::from_utf8_lossy(&bad.stderr);
    assert!(err.contains("--allowed-host \"http://x:1/\""), "{err}");
}
