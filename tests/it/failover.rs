//! A screen on a real cluster (docs/api.md, Screens in a cluster): two
//! warroom nodes, real processes, on one JetStream stream; the page served
//! by node A watches A, A is killed (SIGKILL), and the page moves to node
//! B by itself and keeps showing live figures that never run back and go
//! on growing. B accepts the socket of A's page because A is in B's
//! `[cluster] screens`.

use std::path::{Path, PathBuf};
use std::time::Duration;

use serde_json::{Value, json};

use crate::cdp::{Browser, chromium};
use crate::nats::NatsCluster;
use crate::process::{Server, start};
use crate::screens::WATCH_FALLS;

/// A sale around now (the binary's clock is the system's) on `nats`, as
/// node `node`, with the screens' node list `screens`.
fn write_config(dir: &Path, node: &str, nats: &str, screens: &[&str]) -> PathBuf {
    let now = chrono::Utc::now();
    let starts = (now - chrono::Duration::hours(1)).to_rfc3339();
    let ends = (now + chrono::Duration::hours(23)).to_rfc3339();
    let screens: Vec<String> = screens.iter().map(|s| format!("{s:?}")).collect();
    let text = format!(
        r#"[sale]
name = "failover"
currency = "CNY"
timezone = "Asia/Shanghai"
starts = "{starts}"
ends = "{ends}"
target = "1000000"

[[stores]]
id = "s1"
name = "旗舰店"

[cluster]
nats = ["{nats}"]
replicas = 1
node = "{node}"
screens = [{}]
"#,
        screens.join(", ")
    );
    let path = dir.join(format!("{node}.toml"));
    std::fs::write(&path, text).expect("write config");
    path
}

/// `n` orders of 10.00 each, ids from `from`.
fn orders(from: usize, n: usize) -> String {
    let ts = chrono::Utc::now().timestamp_millis();
    (from..from + n)
        .map(|i| {
            format!(
                r#"{{"type":"order","id":"f{i}","ts":{ts},"store":"s1","buyer":"u{i}","items":[{{"sku":"k1","qty":1,"price":"10.00"}}]}}"#
            )
        })
        .collect::<Vec<_>>()
        .join("\n")
}

async fn post(client: &reqwest::Client, node: &Server, body: String) -> bool {
    client
        .post(format!("{}/api/v1/events", node.base))
        .header("content-type", "application/x-ndjson")
        .body(body)
        .send()
        .await
        .is_ok_and(|r| r.status() == 200)
}

async fn gmv(client: &reqwest::Client, node: &Server) -> i64 {
    let summary: Value = client
        .get(format!("{}/api/v1/summary", node.base))
        .send()
        .await
        .expect("summary")
        .json()
        .await
        .expect("JSON");
    summary["totals"]["gmv"].as_i64().expect("gmv")
}

/// Whether `node` opens its live socket to a page of `origin`.
async fn socket_from(node: &Server, origin: &str) -> bool {
    use tokio_tungstenite::tungstenite::client::IntoClientRequest;
    let url = format!("{}/api/v1/live", node.base.replacen("http", "ws", 1));
    let mut req = url.into_client_request().expect("a request");
    req.headers_mut()
        .insert("origin", origin.parse().expect("an origin header"));
    tokio_tungstenite::connect_async(req).await.is_ok()
}

const SHOWN: &str = "Number(document.getElementById('gmv').dataset.value)";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_screen_on_a_killed_node_moves_to_the_next_and_never_runs_back() {
    let Some(chromium) = chromium() else { return };
    let Some(nats) = NatsCluster::single().await else {
        return;
    };
    let dir = tempfile::tempdir().expect("tempdir");
    let client = reqwest::Client::new();
    let url = nats.url(0);
    let mut a = start(&write_config(dir.path(), "a", &url, &[]), &[]).expect("start a");
    assert!(a.ready(&client).await, "{}", a.stderr());
    let config_b = write_config(dir.path(), "b", &url, &[&a.base]);
    let mut b = start(&config_b, &[]).expect("start b");
    assert!(b.ready(&client).await, "{}", b.stderr());
    assert!(post(&client, &a, orders(0, 50)).await, "{}", a.stderr());
    // b takes a's pages as its own (a is in its [cluster] screens), and
    // only those; a lists nobody.
    assert!(socket_from(&b, &a.base).await, "b accepts a's page");
    assert!(!socket_from(&b, "http://evil.example").await);
    assert!(!socket_from(&a, &b.base).await, "a does not list b");

    let mut page = Browser::launch(&chromium).await;
    page.open(&format!("{}/?servers={}", a.base, b.base)).await;
    page.wait_for(
        "document.getElementById('node').dataset.node === 'a'",
        20,
        "the screen on a",
    )
    .await;
    page.wait_for(&format!("{SHOWN} === 50000"), 20, "a's figures")
        .await;
    assert_eq!(page.eval(WATCH_FALLS).await, true);

    // Orders keep coming, through b, while a dies.
    let feeder_client = client.clone();
    let b_base = b.base.clone();
    let feeder = tokio::spawn(async move {
        for round in 0..60 {
            let body = orders(1_000 + round * 5, 5);
            let _ = feeder_client
                .post(format!("{b_base}/api/v1/events"))
                .header("content-type", "application/x-ndjson")
                .body(body)
                .send()
                .await;
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    });
    page.wait_for(
        &format!("{SHOWN} > 50000"),
        10,
        "live figures before the kill",
    )
    .await;
    a.child.kill().expect("SIGKILL a");
    let _ = a.child.wait();
    let at_kill = page.eval(SHOWN).await.as_i64().expect("a figure");

    page.wait_for(
        "document.getElementById('node').dataset.node === 'b'",
        20,
        "the move to b",
    )
    .await;
    page.wait_for(
        "document.getElementById('conn').classList.contains('live')",
        10,
        "live on b",
    )
    .await;
    page.wait_for(
        &format!("{SHOWN} > {at_kill}"),
        10,
        "figures still growing on b",
    )
    .await;
    feeder.await.expect("feeder");
    let last = gmv(&client, &b).await;
    assert_eq!(last, 50_000 + 300 * 1_000, "every order counted once");
    page.wait_for(&format!("{SHOWN} === {last}"), 10, "b's final figure")
        .await;
    assert_eq!(
        page.eval("window.__falls").await,
        json!([]),
        "nothing ran back"
    );
    assert_eq!(page.eval("window.warroom.errors").await, json!([]));
    let seq = page.eval("window.warroom.state.streamSeq").await;
    assert!(
        seq.as_u64().is_some_and(|s| s > 1),
        "a stream sequence shown: {seq}"
    );
}
