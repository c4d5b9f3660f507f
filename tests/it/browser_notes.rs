//! The war-room log on the screen, in a real headless Chromium (docs/api.md,
//! Health, metrics, the screen → The war-room log): a page opened with an
//! admin token adds a note through its box; the note reaches the feed and
//! a marker on both charts at the note's time on the chart's axis; hovering
//! the marker shows the text and author; a view token's page has no box; a
//! note posted through the API reaches an open page, and a deleted one
//! leaves it; notes close together merge into one counted marker; a
//! refused note shows the server's reason; a channel's view shows the
//! sale's notes and its own. Screenshots land in `target/screen-notes*.png`.

use serde_json::{Value, json};

use crate::cdp::{Browser, chromium};
use crate::support::{MIN, SALE_TOML, START, TestApp, spawn_app};

const ADMIN: &str = "admin-token-0001";
const VIEW: &str = "view-token-00001";
const INGEST: &str = "ingest-token-001";
/// The server's clock: an hour and a minute into the sale.
const NOW: i64 = START + 61 * MIN;

fn config() -> warroom::config::Config {
    let toml = format!(
        "{SALE_TOML}\n[auth]\nadmin = [\"{ADMIN}\"]\nview = [\"{VIEW}\"]\ningest = [\"{INGEST}\"]\n"
    );
    warroom::config::parse_str(&toml, "test.toml", std::path::Path::new("."))
        .expect("the test config with tokens is valid")
}

fn target_dir() -> std::path::PathBuf {
    std::env::var_os("CARGO_TARGET_DIR")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target"))
}

/// Orders spread over the sale's first hour, so both charts have bars.
fn orders() -> String {
    (0..240)
        .map(|i| {
            format!(
                r#"{{"type":"order","id":"o{i}","ts":{},"store":"{}","buyer":"u{i}","items":[{{"sku":"k2","qty":1,"price":"{}.00"}}]}}"#,
                START + (i as i64 % 60) * MIN + 1000,
                ["s1", "s2"][i % 2],
                100 + i * 7 % 300
            )
        })
        .collect::<Vec<_>>()
        .join("\n")
}

async fn send(
    app: &TestApp,
    method: reqwest::Method,
    path: &str,
    token: &str,
    body: Option<Value>,
) -> reqwest::Response {
    let mut req = app
        .client
        .request(method, format!("{}{path}", app.base))
        .bearer_auth(token);
    if let Some(body) = body {
        req = req.json(&body);
    }
    req.send().await.expect("request")
}

async fn post_note(app: &TestApp, body: Value) -> Value {
    let r = send(
        app,
        reqwest::Method::POST,
        "/api/v1/notes",
        ADMIN,
        Some(body),
    )
    .await;
    assert_eq!(r.status(), 201, "a note is added");
    r.json().await.expect("the note")
}

async fn notes(app: &TestApp) -> Vec<Value> {
    let r = send(app, reqwest::Method::GET, "/api/v1/notes", VIEW, None).await;
    assert_eq!(r.status(), 200);
    let v: Value = r.json().await.expect("JSON");
    v["notes"].as_array().cloned().unwrap_or_default()
}

/// The marker holding `key` on a chart: `[x, plot.x, plot.w, count]`, or null.
fn marker(canvas: &str, key: &str) -> String {
    format!(
        "(() => {{ const c = document.getElementById({canvas:?}); \
           const m = (c.markers ?? []).find((m) => m.items.some((i) => i.key === {key:?})); \
           return m ? [m.x, c.plot.x, c.plot.w, m.count] : null; }})()"
    )
}

fn feed_has(id: &str) -> String {
    format!(
        "[...document.querySelectorAll('#alerts li.note')].some((li) => li.dataset.id === {id:?})"
    )
}

/// Asserts the marker of note `id` sits at `fraction` of the chart's time
/// axis (within 2 px: the page's clock runs on between frames).
async fn assert_marker_at(b: &mut Browser, canvas: &str, id: &str, fraction: f64) {
    b.wait_for(
        &format!("{} !== null", marker(canvas, id)),
        10,
        &format!("the marker of {id} on {canvas}"),
    )
    .await;
    let m = b.eval(&marker(canvas, id)).await;
    let (x, left, width) = (
        m[0].as_f64().expect("x"),
        m[1].as_f64().expect("plot x"),
        m[2].as_f64().expect("plot width"),
    );
    let want = left + fraction * width;
    assert!(
        (x - want).abs() <= 2.0,
        "{canvas}: the marker of {id} at {x:.1} px, the axis puts its time at {want:.1} px"
    );
}

/// `GET /api/v1/whoami` names the token's role; it is how the page learns
/// whether to show its box.
#[tokio::test]
async fn whoami_names_the_role_of_the_token() {
    let app = spawn_app(config(), NOW).await;
    for (token, role) in [(ADMIN, "admin"), (VIEW, "view"), (INGEST, "ingest")] {
        let r = send(&app, reqwest::Method::GET, "/api/v1/whoami", token, None).await;
        assert_eq!(r.status(), 200);
        let v: Value = r.json().await.expect("JSON");
        assert_eq!(v, json!({"role": role, "auth": true}));
    }
    let r = send(
        &app,
        reqwest::Method::GET,
        "/api/v1/whoami",
        "not-a-token",
        None,
    )
    .await;
    assert_eq!(r.status(), 401);
    let r = app
        .client
        .get(format!("{}/api/v1/whoami?token={ADMIN}", app.base))
        .send()
        .await
        .expect("GET");
    assert_eq!(r.status(), 401, "a token in the URL is not read");

    let open = spawn_app(crate::support::test_config(), NOW).await;
    let v = open.get("/api/v1/whoami").await;
    assert_eq!(v, json!({"role": "admin", "auth": false}));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn notes_are_added_on_the_screen_and_marked_on_its_charts() {
    let Some(chromium) = chromium() else { return };
    let app = spawn_app(config(), NOW).await;
    let r = app
        .client
        .post(format!("{}/api/v1/events", app.base))
        .bearer_auth(INGEST)
        .header("content-type", "application/x-ndjson")
        .body(orders())
        .send()
        .await
        .expect("POST");
    assert_eq!(r.status(), 200);

    let mut b = Browser::launch(&chromium).await;
    b.open(&format!("{}/?page=1&token={ADMIN}", app.base)).await;
    b.wait_for(
        "document.getElementById('note-form').dataset.role === 'admin' && !document.getElementById('note-form').hidden",
        10,
        "the admin's note box",
    )
    .await;

    // Added through the box: it arrives through the frames, once.
    let text = "00:12 支付网关变慢，已切备用 payment gateway slow, switched to backup";
    b.eval(&format!(
        "(() => {{ document.getElementById('note-text').value = {text:?}; \
           document.getElementById('note-author').value = '值班 Li'; \
           document.getElementById('note-form').requestSubmit(); }})()"
    ))
    .await;
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    let added = loop {
        if let Some(n) = notes(&app).await.into_iter().find(|n| n["text"] == text) {
            break n;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "the box's note reached the server"
        );
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    };
    assert_eq!(added["author"], "值班 Li");
    assert_eq!(added["scope"], "sale");
    assert_eq!(added["ts"], json!(NOW), "a note without ts is stamped now");
    let id = added["id"].as_str().expect("id").to_string();
    b.wait_for(&feed_has(&id), 10, "the note in the feed").await;
    let shown = b
        .eval(&format!(
            "[...document.querySelectorAll('#alerts li.note')].filter((li) => li.dataset.id === {id:?}).map((li) => li.textContent)"
        ))
        .await;
    assert_eq!(
        shown,
        json!([format!("备注 01:01{text} — 值班 Li")]),
        "once, with its time and author"
    );
    let cleared = b
        .eval("[document.getElementById('note-text').value, document.getElementById('note-author').value, localStorage.getItem('warroom.note.author')]")
        .await;
    assert_eq!(
        cleared,
        json!(["", "值班 Li", "值班 Li"]),
        "the author is remembered"
    );
    // Now (01:01:00) is the right end of the cumulative chart, and the
    // left edge of the last bar (the minute 01:01) of the per-minute one.
    assert_marker_at(&mut b, "chart-cum", &id, 1.0).await;
    assert_marker_at(&mut b, "chart-min", &id, 59.0 / 60.0).await;

    // Posted through the API while the page is open, at 00:45.
    let at45 = post_note(
        &app,
        json!({"text": "00:45 京东库存同步延迟", "ts": START + 45 * MIN + 30_000, "author": "ops"}),
    )
    .await;
    let id45 = at45["id"].as_str().expect("id").to_string();
    b.wait_for(&feed_has(&id45), 10, "the API's note on the open page")
        .await;
    // Cumulative: minutes since the start over the 61 shown; per minute:
    // the last hour's bars, minute 2 first, so 00:45:30 is 43.5 bars in.
    assert_marker_at(&mut b, "chart-cum", &id45, 45.5 / 61.0).await;
    assert_marker_at(&mut b, "chart-min", &id45, 43.5 / 60.0).await;

    // Hovering the marker shows what was written, by whom, when.
    let tip = b
        .eval(&format!(
            "(() => {{ const c = document.getElementById('chart-cum'); const r = c.getBoundingClientRect(); \
               const m = {}; \
               c.dispatchEvent(new PointerEvent('pointermove', {{ clientX: r.left + m[0], clientY: r.top + 20, bubbles: true }})); \
               const t = document.getElementById('marker-tip'); return t && !t.hidden ? t.textContent : null; }})()",
            marker("chart-cum", &id45)
        ))
        .await;
    assert!(
        tip.as_str().is_some_and(|t| t.contains("00:45")
            && t.contains("京东库存同步延迟")
            && t.contains("ops")),
        "the hover box: {tip}"
    );
    b.screenshot(&target_dir().join("screen-notes-hover.png"))
        .await;

    // Five notes within a minute: one marker, counted.
    let mut busy = Vec::new();
    for i in 0..5 {
        let n = post_note(
            &app,
            json!({"text": format!("20:0{i} 峰值观察 {i}"), "ts": START + 20 * MIN + i * 9_000}),
        )
        .await;
        busy.push(n["id"].as_str().expect("id").to_string());
    }
    b.wait_for(&feed_has(&busy[4]), 10, "the busy minute's notes")
        .await;
    let counted = b.eval(&marker("chart-cum", &busy[0])).await;
    assert_eq!(counted[3], json!(5), "five notes, one marker: {counted}");

    // A note the server refuses: its reason on the screen.
    let long = "长".repeat(2001);
    let reason = send(
        &app,
        reqwest::Method::POST,
        "/api/v1/notes",
        ADMIN,
        Some(json!({"text": long})),
    )
    .await;
    assert_eq!(reason.status(), 400);
    let reason: Value = reason.json().await.expect("JSON");
    b.eval(&format!(
        "(() => {{ document.getElementById('note-text').value = {long:?}; document.getElementById('note-form').requestSubmit(); }})()"
    ))
    .await;
    b.wait_for(
        &format!(
            "document.getElementById('note-error').textContent === {:?}",
            reason["error"].as_str().expect("error")
        ),
        10,
        "the server's reason under the box",
    )
    .await;
    b.eval("document.getElementById('note-text').value = ''")
        .await;
    b.eval("document.getElementById('note-error').hidden = true")
        .await;

    // Deleted: gone from the feed and the charts.
    let r = send(
        &app,
        reqwest::Method::DELETE,
        &format!("/api/v1/notes/{id45}"),
        ADMIN,
        None,
    )
    .await;
    assert_eq!(r.status(), 204);
    b.wait_for(
        &format!(
            "!({}) && {} === null",
            feed_has(&id45),
            marker("chart-cum", &id45)
        ),
        10,
        "the deleted note gone",
    )
    .await;
    // The hover box over it follows: nothing under the pointer now.
    b.wait_for(
        "document.getElementById('marker-tip').hidden",
        5,
        "the hover box of the deleted note gone",
    )
    .await;

    let bad = b.eval(GEOMETRY).await;
    assert_eq!(bad, json!([]), "page 1's geometry with the box");
    b.screenshot(&target_dir().join("screen-notes.png")).await;
    let errors = b.eval("window.warroom.errors").await;
    assert_eq!(errors, json!([]), "no script errors");

    // A view token: the log, no box.
    b.open(&format!("{}/?page=1&lang=en&token={VIEW}", app.base))
        .await;
    b.wait_for(
        "document.getElementById('note-form').dataset.role === 'view'",
        10,
        "the page to learn its role",
    )
    .await;
    b.wait_for(&feed_has(&id), 10, "the note on a viewer's page")
        .await;
    let hidden = b
        .eval("[document.getElementById('note-form').hidden, document.querySelector('[data-i18n=log]').textContent]")
        .await;
    assert_eq!(
        hidden,
        json!([true, "Alerts & notes"]),
        "no box for a view token"
    );
    b.screenshot(&target_dir().join("screen-notes-en.png"))
        .await;

    // A channel's view: the sale's notes and the channel's, not another
    // store's; its box scopes a note to the channel.
    let jd = post_note(
        &app,
        json!({"text": "京东：满减叠加券", "scope": "channel:jd", "ts": START + 30 * MIN}),
    )
    .await;
    let s1 = post_note(
        &app,
        json!({"text": "天猫旗舰店：客服排队", "scope": "store:s1", "ts": START + 31 * MIN}),
    )
    .await;
    b.open(&format!("{}/?page=1&channel=jd&token={ADMIN}", app.base))
        .await;
    b.wait_for(
        &feed_has(jd["id"].as_str().expect("id")),
        10,
        "the channel's note",
    )
    .await;
    b.wait_for(&feed_has(&id), 10, "the sale's note on a channel's view")
        .await;
    let other = b.eval(&feed_has(s1["id"].as_str().expect("id"))).await;
    assert_eq!(
        other,
        json!(false),
        "another channel's store's note is not on jd's view"
    );
    b.wait_for(
        "!document.getElementById('note-form').hidden",
        10,
        "the box",
    )
    .await;
    b.eval("(() => { document.getElementById('note-text').value = 'jd 页面备注'; document.getElementById('note-form').requestSubmit(); })()")
        .await;
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    loop {
        if let Some(n) = notes(&app)
            .await
            .into_iter()
            .find(|n| n["text"] == "jd 页面备注")
        {
            assert_eq!(n["scope"], "channel:jd");
            assert_eq!(n["author"], "值班 Li", "the remembered author");
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "the channel view's note reached the server"
        );
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
}

/// Problems with page 1's geometry: cards off the 1920×1080 screen, the box
/// outside its card or cut. Empty when all is well.
const GEOMETRY: &str = r#"(() => {
  const bad = [];
  for (const c of document.querySelectorAll('#page-sales .card')) {
    const r = c.getBoundingClientRect();
    if (r.width === 0 || r.bottom > innerHeight + 0.5 || r.right > innerWidth + 0.5) bad.push(`card off screen: ${c.className}`);
  }
  const card = document.querySelector('.log').getBoundingClientRect();
  const form = document.getElementById('note-form').getBoundingClientRect();
  if (form.height === 0 || form.bottom > card.bottom + 0.5 || form.top < card.top) bad.push('the note box leaves its card');
  const feed = document.getElementById('alerts').getBoundingClientRect();
  if (feed.height < 40) bad.push(`the feed is ${feed.height}px tall`);
  return bad;
})()"#;
