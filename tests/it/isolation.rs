//! docs/scaling.md, Ingest first: the live push runs on the screens
//! runtime, on threads ten nice steps below ingest's, while ingest is
//! served on the main runtime; shutdown still tells every screen 1001.

use std::time::Duration;

use futures_util::StreamExt;
use tokio_tungstenite::tungstenite::Message;
use warroom::screens::{NICE_STEPS, THREAD_NAME, thread_nice};

use crate::process;
use crate::support::{MIN, SALE_TOML, START, TestApp, spawn_app, test_config};
use crate::unstored::{Ws, frame_where};

async fn connect(app: &TestApp) -> Ws {
    let url = format!("ws://{}/api/v1/live", app.addr);
    let (ws, _) = tokio_tungstenite::connect_async(url)
        .await
        .expect("websocket");
    ws
}

/// Every thread of a process (`self` or a pid): its name and nice value,
/// from `/proc/<pid>/task/*/stat` (the name in parentheses, nice the 19th
/// field).
fn threads(pid: &str) -> Vec<(String, i32)> {
    let mut out = Vec::new();
    let tasks = format!("/proc/{pid}/task");
    for task in std::fs::read_dir(&tasks).expect("/proc/<pid>/task") {
        let Ok(task) = task else { continue };
        // A thread may end between the listing and the read.
        let Ok(stat) = std::fs::read_to_string(task.path().join("stat")) else {
            continue;
        };
        let (Some(open), Some(close)) = (stat.find('('), stat.rfind(')')) else {
            continue;
        };
        let name = stat[open + 1..close].to_owned();
        let nice = stat[close + 1..]
            .split_whitespace()
            .nth(16)
            .and_then(|n| n.parse().ok())
            .expect("a nice value");
        out.push((name, nice));
    }
    out
}

fn order(id: &str) -> String {
    format!(
        r#"{{"type":"order","id":"{id}","ts":{},"store":"s1","buyer":"b{id}","items":[{{"sku":"k1","qty":1,"price":100}}]}}"#,
        START + 60 * MIN
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_live_push_runs_below_ingest_and_ingest_on_the_main_runtime() {
    let app = spawn_app(test_config(), START + 61 * MIN).await;
    // Nothing but the tick task runs there before a screen comes.
    assert_eq!(app.screens.tasks(), 1, "the tick task is the screens'");
    assert_eq!(app.screens.open(), 0);

    let mut ws = connect(&app).await;
    frame_where(&mut ws, |f| f["type"] == "snapshot").await;
    assert_eq!(app.screens.open(), 1, "the socket's task was handed over");
    assert_eq!(app.screens.tasks(), 2, "tick task and socket task");

    // Ingest answers on the main runtime: its connection (kept alive by
    // the client) adds no task to the screens runtime, and the screen,
    // driven from there over a connection the main runtime accepted, sees
    // the events.
    let posted = app
        .post_events(
            (0..20)
                .map(|i| order(&format!("o{i}")))
                .collect::<Vec<_>>()
                .join("\n"),
            "application/x-ndjson",
        )
        .await;
    assert_eq!(posted.status(), 200);
    frame_where(&mut ws, |f| f["events_applied"] == 20).await;
    assert_eq!(app.screens.tasks(), 2, "no HTTP connection runs there");

    // The priorities, read from outside: the screens' threads ten steps
    // below this (main) runtime's, which kept theirs.
    let base = thread_nice().expect("getpriority");
    let all = threads("self");
    let screens: Vec<_> = all.iter().filter(|(n, _)| n == THREAD_NAME).collect();
    assert!(!screens.is_empty(), "threads named {THREAD_NAME}: {all:?}");
    for (name, nice) in &screens {
        assert_eq!(*nice, (base + NICE_STEPS).min(19), "{name}");
    }
    // Every other thread (the main runtime's workers, the WAL writer, the
    // test's own) keeps the process's: nothing leaked.
    assert!(
        all.iter().any(|(n, _)| n.starts_with("tokio-")),
        "the main runtime's workers: {all:?}"
    );
    for (name, nice) in all.iter().filter(|(n, _)| n != THREAD_NAME) {
        assert_eq!(*nice, base, "{name} keeps ingest's priority: {all:?}");
    }

    // Shutdown: the screen is told "going away" before the runtime goes.
    app.stop().await;
    let closed = tokio::time::timeout(Duration::from_secs(5), async {
        while let Some(msg) = ws.next().await {
            if let Ok(Message::Close(frame)) = msg {
                return frame.map(|f| u16::from(f.code));
            }
        }
        None
    })
    .await
    .expect("a close within 5 s");
    assert_eq!(closed, Some(1001));
}

#[tokio::test]
async fn the_binary_runs_its_screens_threads_below_its_http_workers() {
    let dir = tempfile::tempdir().expect("tempdir");
    let config = dir.path().join("sale.toml");
    std::fs::write(&config, SALE_TOML).expect("write config");
    let mut server = process::start(&config, &[]).expect("start");
    assert!(
        server.ready(&reqwest::Client::new()).await,
        "{}",
        server.stderr()
    );
    // The child inherited this thread's priority.
    let base = thread_nice().expect("getpriority");
    let all = threads(&server.child.id().to_string());
    let screens: Vec<_> = all.iter().filter(|(n, _)| n == THREAD_NAME).collect();
    let http: Vec<_> = all
        .iter()
        .filter(|(n, _)| n.starts_with("tokio-"))
        .collect();
    assert!(!screens.is_empty() && !http.is_empty(), "{all:?}");
    for (name, nice) in &screens {
        assert_eq!(*nice, (base + NICE_STEPS).min(19), "{name}: {all:?}");
    }
    for (name, nice) in &http {
        assert_eq!(*nice, base, "{name}: {all:?}");
    }
    assert!(
        !server.stderr().contains("cannot lower"),
        "{}",
        server.stderr()
    );
}
