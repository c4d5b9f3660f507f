//! docs/api.md, War-room log (notes): posted, listed with the alerts that
//! fired, deleted, refused without the right token; pushed to a screen on
//! a real socket; durable through SIGKILL (the real binary); in the pack's
//! `notes.csv`, from a live server and from the data directory.

use std::process::Command;
use std::time::Duration;

use futures_util::StreamExt;
use serde_json::{Value, json};
use tokio_tungstenite::tungstenite::Message;
use warroom::config::AuthConfig;

use crate::support::{MIN, START, TestApp, spawn_app, test_config};

const INGEST: &str = "ingest-token-1";
const VIEW: &str = "view-token-123";
const ADMIN: &str = "admin-token-42";

async fn send(
    app_base: &str,
    method: &str,
    path: &str,
    token: Option<&str>,
    body: Option<Value>,
) -> (u16, Value) {
    let client = reqwest::Client::new();
    let url = format!("{app_base}{path}");
    let mut req = match method {
        "POST" => client.post(url),
        "DELETE" => client.delete(url),
        _ => client.get(url),
    };
    if let Some(t) = token {
        req = req.bearer_auth(t);
    }
    if let Some(b) = body {
        req = req.body(b.to_string());
    }
    let r = req.send().await.expect("request");
    let status = r.status().as_u16();
    let text = r.text().await.unwrap_or_default();
    (status, serde_json::from_str(&text).unwrap_or(Value::Null))
}

fn ids(list: &Value) -> Vec<String> {
    list["notes"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|n| n["id"].as_str().unwrap_or_default().to_string())
        .collect()
}

#[tokio::test]
async fn notes_are_posted_listed_deleted_and_guarded_by_role() {
    let mut cfg = test_config();
    cfg.auth = Some(AuthConfig {
        ingest: vec![INGEST.into()],
        view: vec![VIEW.into()],
        admin: vec![ADMIN.into()],
        allowed_origins: vec![],
    });
    let app = spawn_app(cfg, START + 30 * MIN).await;
    let base = app.base.as_str();
    let note = json!({"text": "00:12 支付网关慢，切换备用", "ts": START + 12 * MIN,
        "scope": "channel:tmall", "author": "值班小王"});

    // Roles: ingest and admin may post, view may read, only admin deletes.
    let roles = [
        ("POST", None, 401),
        ("POST", Some("wrong-token-9"), 401),
        ("POST", Some(VIEW), 403),
        ("GET", None, 401),
        ("GET", Some(INGEST), 403),
    ];
    for (method, token, want) in roles {
        let (got, _) = send(base, method, "/api/v1/notes", token, Some(note.clone())).await;
        assert_eq!(got, want, "{method} with {token:?}");
    }
    let (status, posted) = send(base, "POST", "/api/v1/notes", Some(INGEST), Some(note)).await;
    assert_eq!(status, 201, "{posted}");
    let id = posted["id"].as_str().expect("an id").to_string();
    assert!(id.starts_with("n-") && id.len() == 18, "{id}");
    assert_eq!(posted["ts"], START + 12 * MIN);
    assert_eq!(posted["at"], "2026-11-11T00:12:00+08:00");
    assert_eq!(posted["scope"], "channel:tmall");
    assert_eq!(posted["author"], "值班小王");
    assert_eq!(posted["kind"], "note");
    let (status, second) = send(
        base,
        "POST",
        "/api/v1/notes",
        Some(ADMIN),
        Some(json!({"text": "restock k2", "ts": START + MIN})),
    )
    .await;
    assert_eq!(status, 201);
    assert_eq!(second["scope"], "sale", "the default scope");
    assert!(second.get("author").is_none());

    // Listed by time, the earlier note first.
    // (Alerts that fire meanwhile are in the log too: `?kind=note` leaves them out.)
    let (status, list) = send(base, "GET", "/api/v1/notes?kind=note", Some(VIEW), None).await;
    assert_eq!(status, 200);
    assert_eq!(
        ids(&list),
        [second["id"].as_str().unwrap_or(""), id.as_str()]
    );
    let since = format!("/api/v1/notes?kind=note&since={}", START + 5 * MIN);
    let (_, later) = send(base, "GET", &since, Some(VIEW), None).await;
    assert_eq!(ids(&later), [id.as_str()]);

    // Errors name their field.
    for (body, error) in [
        (
            json!({"text": ""}),
            "text: must be 1 to 2000 characters, got 0",
        ),
        (
            json!({"text": "x", "scope": "region:31"}),
            "scope: must be sale, channel:ID, store:ID or sku:ID",
        ),
        (
            json!({"text": "x", "ts": 1_794_326}),
            "ts: 1794326 is not epoch milliseconds",
        ),
    ] {
        let (status, reply) = send(base, "POST", "/api/v1/notes", Some(ADMIN), Some(body)).await;
        assert_eq!(status, 400);
        let got = reply["error"].as_str().unwrap_or_default();
        assert!(got.starts_with(error), "{got}");
    }
    // Notes are not events.
    let (status, reply) = send(
        base,
        "POST",
        "/api/v1/events",
        Some(INGEST),
        Some(json!({"type": "note", "id": "x", "text": "y"})),
    )
    .await;
    assert_eq!((status, reply["rejected"].as_u64()), (200, Some(1)));
    assert!(
        reply["errors"][0]["error"]
            .as_str()
            .unwrap_or_default()
            .contains("/api/v1/notes")
    );

    // Deleting: admin only; unknown ids are 404; a deleted note is gone.
    let path = format!("/api/v1/notes/{id}");
    assert_eq!(send(base, "DELETE", &path, Some(INGEST), None).await.0, 403);
    assert_eq!(send(base, "DELETE", &path, Some(ADMIN), None).await.0, 204);
    assert_eq!(send(base, "DELETE", &path, Some(ADMIN), None).await.0, 404);
    assert_eq!(
        send(base, "DELETE", "/api/v1/notes/nope", Some(ADMIN), None)
            .await
            .0,
        404
    );
    let (_, list) = send(base, "GET", "/api/v1/notes?kind=note", Some(VIEW), None).await;
    assert_eq!(ids(&list), [second["id"].as_str().unwrap_or("")]);
}

fn order(id: &str, qty: u32) -> String {
    format!(
        r#"{{"type":"order","id":"{id}","ts":{},"store":"s1","items":[{{"sku":"k1","qty":{qty},"price":100}}]}}"#,
        START + 20 * MIN
    )
}

#[tokio::test]
async fn alerts_that_fired_are_in_the_log_and_the_pack() {
    let app = spawn_app(test_config(), START + 30 * MIN).await;
    // k1 (stock 100) sells out: an alert fires.
    let r = app
        .post_events(order("a1", 100), "application/x-ndjson")
        .await;
    assert_eq!(r.status(), 200);
    app.alerts.evaluate();
    let (status, _) = send(
        &app.base,
        "POST",
        "/api/v1/notes",
        None,
        Some(json!({"text": "=k1 sold out; 补货中", "scope": "sku:k1"})),
    )
    .await;
    assert_eq!(status, 201);
    let list = app.get("/api/v1/notes").await;
    let kinds: Vec<&str> = list["notes"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|n| n["kind"].as_str())
        .collect();
    assert!(
        kinds.contains(&"note") && kinds.contains(&"alert_fired"),
        "{list}"
    );
    let fired = list["notes"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|n| n["kind"] == "alert_fired")
        .expect("an alert entry");
    assert!(
        fired["rule"].is_string() && fired["alert_id"].is_u64(),
        "{fired}"
    );
    let only = app.get("/api/v1/notes?kind=note").await;
    assert_eq!(only["notes"].as_array().map(Vec::len), Some(1));
    let ts: Vec<i64> = list["notes"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|n| n["ts"].as_i64())
        .collect();
    assert!(ts.windows(2).all(|w| w[0] <= w[1]), "by time: {ts:?}");

    // notes.csv in the pack: every entry, text defused for spreadsheets.
    let zip = app
        .client
        .get(format!("{}/api/v1/export", app.base))
        .send()
        .await
        .expect("export")
        .bytes()
        .await
        .expect("zip");
    let dir = tempfile::tempdir().expect("tempdir");
    warroom::export::unzip_into(&zip, dir.path()).expect("unzip");
    let csv = std::fs::read_to_string(dir.path().join("notes.csv")).expect("notes.csv");
    let mut lines = csv.lines();
    assert_eq!(
        lines.next(),
        Some("\u{feff}id,ts,at,kind,scope,author,rule,text")
    );
    let rows: Vec<&str> = lines.collect();
    assert_eq!(rows.len(), kinds.len(), "{csv}");
    assert!(csv.contains(r#""'=k1 sold out; 补货中""#), "{csv}");
    assert!(csv.contains(r#""alert_fired""#), "{csv}");
}

type Ws =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

/// The next frame whose `field` holds `id` (a note or a deleted id): a
/// note posted while a snapshot is built may come in the snapshot and
/// again in the next tick, so a screen merges by id.
async fn frame_with(ws: &mut Ws, field: &str, id: &str) -> Value {
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    loop {
        assert!(
            std::time::Instant::now() < deadline,
            "no frame with {field}"
        );
        let msg = tokio::time::timeout(Duration::from_secs(10), ws.next())
            .await
            .expect("a frame")
            .expect("open")
            .expect("frame");
        if let Message::Text(t) = msg {
            let f: Value = serde_json::from_str(&t).expect("json");
            let holds = |v: &Value| v == id || v["id"] == id;
            let list = f.get(field).and_then(Value::as_array);
            if list.is_some_and(|a| a.iter().any(holds)) {
                return f;
            }
        }
    }
}

async fn post_note(app: &TestApp, text: &str) -> String {
    let (status, v) = send(
        &app.base,
        "POST",
        "/api/v1/notes",
        None,
        Some(json!({"text": text})),
    )
    .await;
    assert_eq!(status, 201);
    v["id"].as_str().unwrap_or_default().to_string()
}

#[tokio::test]
async fn a_note_reaches_a_screen_in_its_next_frame() {
    let app = spawn_app(test_config(), START + 30 * MIN).await;
    let first = post_note(&app, "before the screen").await;
    let (mut ws, _) = tokio_tungstenite::connect_async(format!("ws://{}/api/v1/live", app.addr))
        .await
        .expect("websocket");
    let snap = frame_with(&mut ws, "notes", &first).await;
    assert_eq!(snap["type"], "snapshot");
    assert_eq!(snap["notes"][0]["id"], first.as_str());
    let id = post_note(&app, "00:12 切换备用网关").await;
    let tick = frame_with(&mut ws, "notes", &id).await;
    assert_eq!(tick["type"], "tick");
    // The tick may carry the first note again (posted while the snapshot
    // was built); the page merges by id.
    let note = tick["notes"]
        .as_array()
        .and_then(|n| n.iter().find(|x| x["id"] == id.as_str()))
        .expect("the new note in the tick");
    assert_eq!(note["text"], "00:12 切换备用网关");
    let (status, _) = send(
        &app.base,
        "DELETE",
        &format!("/api/v1/notes/{id}"),
        None,
        None,
    )
    .await;
    assert_eq!(status, 204);
    let tick = frame_with(&mut ws, "notes_deleted", &id).await;
    assert_eq!(tick["notes_deleted"], json!([id]));
}

#[tokio::test]
async fn notes_survive_sigkill_and_export_from_the_data_directory() {
    let dir = tempfile::tempdir().expect("tempdir");
    let config = crate::crash::write_config(dir.path(), "always");
    let client = reqwest::Client::new();
    let mut server = crate::process::start(&config, &[]).expect("start");
    assert!(server.ready(&client).await, "{}", server.stderr());
    let mut kept = Vec::new();
    for i in 0..5 {
        let (status, v) = send(
            &server.base,
            "POST",
            "/api/v1/notes",
            None,
            Some(json!({"text": format!("note {i} 记录"), "author": "ops"})),
        )
        .await;
        assert_eq!(status, 201, "{v}");
        kept.push(v["id"].as_str().unwrap_or_default().to_string());
    }
    let gone = kept.remove(2);
    let (status, _) = send(
        &server.base,
        "DELETE",
        &format!("/api/v1/notes/{gone}"),
        None,
        None,
    )
    .await;
    assert_eq!(status, 204);
    let notes = "/api/v1/notes?kind=note";
    let (_, before) = send(&server.base, "GET", notes, None, None).await;
    server.child.kill().expect("SIGKILL");
    let _ = server.child.wait();

    let offline = dir.path().join("offline");
    let out = Command::new(env!("CARGO_BIN_EXE_warroom"))
        .args(["export", "--data-dir"])
        .arg(dir.path().join("data"))
        .arg("--out")
        .arg(&offline)
        .output()
        .expect("export --data-dir");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let csv = std::fs::read_to_string(offline.join("notes.csv")).expect("notes.csv");
    for id in &kept {
        assert!(csv.contains(id.as_str()), "{id} in {csv}");
    }
    assert!(
        !csv.contains(gone.as_str()),
        "the deleted note is not exported"
    );

    let mut server = crate::process::start(&config, &[]).expect("restart");
    assert!(server.ready(&client).await, "{}", server.stderr());
    let (_, after) = send(&server.base, "GET", notes, None, None).await;
    assert_eq!(ids(&after), kept);
    assert_eq!(after, before, "the same notes, ids, times and texts");
}
