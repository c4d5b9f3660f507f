//! docs/api.md, Auth: tokens per role on HTTP, the live socket and the page;
//! tokens from the environment and files; origins; and no open server on
//! a network address by accident.

use std::process::Command;

use warroom::config::AuthConfig;

use crate::support::{MIN, SALE_TOML, START, spawn_app, test_config};

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
