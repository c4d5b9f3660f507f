//! docs/operations.md, Cluster mode → Alerts: two nodes over one real
//! `nats-server -js`, each with its own engine fed the same events, one
//! chat receiver. One message per milestone crossing for the whole
//! cluster; the same history on both nodes; after the lease holder dies
//! the next crossing is still sent exactly once; a notice the holder was
//! sending when it died is sent at most once more, never zero times.

use std::time::{Duration, Instant};

use warroom::alerts::Alerts;
use warroom::cluster::LeaseTimes;
use warroom::config::{Config, HookKind, Rule, Silence};
use warroom::ingest::Ingest;
use warroom::metrics::{Exposition, Report};
use warroom::shutdown::Shutdown;

use crate::alerts::{Receiver, with_hook};
use crate::lease::link;
use crate::nats::NatsCluster as Nats;
use crate::support::{MIN, START, ingest_with, post};

struct Node {
    ingest: Ingest,
    alerts: Alerts,
    tasks: Vec<tokio::task::JoinHandle<()>>,
    _shutdown: Shutdown,
}

impl Node {
    async fn join(nats: &Nats, stream: &str, name: &str, cfg: Config) -> Node {
        let (ingest, _clock) = ingest_with(cfg, START + 60 * MIN);
        let alerts = Alerts::new(ingest.engine().clone(), None);
        let shutdown = Shutdown::default();
        let tasks = alerts
            .join_cluster(
                &link(nats, stream, name).await,
                None,
                LeaseTimes::default(),
                shutdown.clone(),
            )
            .await
            .expect("the alert side joins the cluster");
        Node {
            ingest,
            alerts,
            tasks,
            _shutdown: shutdown,
        }
    }

    fn holds(&self) -> bool {
        self.alerts.lease().is_some_and(|l| l.is_mine())
    }

    /// As SIGKILL would: its tasks stop where they are, nothing handed over.
    fn kill(self) {
        for t in &self.tasks {
            t.abort();
        }
    }
}

/// Orders for store s1 (target 300,000 yuan) totalling `yuan`.
fn sales(prefix: &str, yuan: u64) -> String {
    (0..10)
        .map(|i| {
            format!(
                r#"{{"type":"order","id":"{prefix}{i}","ts":{},"store":"s1","items":[{{"sku":"k9","qty":1,"price":{}}}]}}"#,
                START + 59 * MIN,
                yuan / 10
            )
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// The same events on every node, as the stream would give them.
fn feed(nodes: &[&Node], body: &str) {
    for n in nodes {
        post(&n.ingest, body);
    }
}

async fn until(within: Duration, what: &str, f: impl Fn() -> bool) {
    let started = Instant::now();
    while !f() {
        assert!(started.elapsed() < within, "{what}: not within {within:?}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// The milestone marks the receiver was told of, in order.
fn marks(rx: &Receiver) -> Vec<String> {
    rx.requests()
        .iter()
        .map(|(_, _, body)| {
            let text = body.to_string();
            ["50%", "80%", "100%"]
                .into_iter()
                .find(|m| text.contains(m))
                .unwrap_or("?")
                .to_string()
        })
        .collect()
}

fn history(a: &Alerts) -> Vec<(u64, String, Vec<String>)> {
    a.recent(100)
        .into_iter()
        .map(|r| {
            let d = r.deliveries.iter().map(|d| d.result.to_string()).collect();
            (r.id, r.key, d)
        })
        .collect()
}

fn metrics(a: &Alerts) -> String {
    let mut out = Exposition::new();
    a.report(&mut out);
    out.finish()
}

fn config(url: String) -> Config {
    let mut cfg = with_hook(HookKind::Slack, url, None);
    cfg.alerts.lang = warroom::config::Lang::En;
    cfg
}

#[tokio::test]
async fn one_message_per_crossing_for_the_cluster_and_exactly_one_after_the_holder_is_killed() {
    let Some(nats) = Nats::single().await else {
        return;
    };
    let rx = Receiver::default();
    let url = rx.start().await;
    let a = Node::join(&nats, "ALERTS_T1", "a", config(url.clone())).await;
    let b = Node::join(&nats, "ALERTS_T1", "b", config(url)).await;
    until(Duration::from_secs(10), "a lease holder", || {
        a.holds() || b.holds()
    })
    .await;

    // 160,000 of s1's 300,000: the 50 % mark, on both replicas.
    feed(&[&a, &b], &sales("x", 160_000));
    rx.wait_for(1).await;
    tokio::time::sleep(Duration::from_secs(3)).await;
    assert_eq!(marks(&rx), ["50%"], "one message for the cluster");
    until(Duration::from_secs(5), "the same history on both", || {
        let h = history(&a.alerts);
        h == history(&b.alerts) && h.iter().all(|(_, _, d)| d == &["delivered"])
    })
    .await;
    assert_eq!(history(&a.alerts).len(), 1);

    // A silence set on either node reaches both.
    let silence = Silence {
        rule: Rule::LowStock,
        scope: None,
        until_ms: START + 120 * MIN,
        comment: Some("restock on the way".into()),
    };
    b.alerts.add_silence(silence.clone());
    until(Duration::from_secs(5), "the silence on both nodes", || {
        a.alerts.silences() == [silence.clone()] && b.alerts.silences() == [silence.clone()]
    })
    .await;

    // The holder dies; the survivor takes over and sends the next crossing.
    let (dead, alive) = if a.holds() { (a, b) } else { (b, a) };
    assert!(metrics(&dead.alerts).contains("warroom_alert_lease_held 1\n"));
    assert!(metrics(&alive.alerts).contains("warroom_alert_lease_held 0\n"));
    dead.kill();
    let killed = Instant::now();
    feed(&[&alive], &sales("y", 90_000));
    rx.wait_for(2).await;
    assert!(
        killed.elapsed() < Duration::from_secs(12),
        "within the takeover bound: {:?}",
        killed.elapsed()
    );
    tokio::time::sleep(Duration::from_secs(3)).await;
    assert_eq!(marks(&rx), ["50%", "80%"], "exactly once after the kill");
    assert!(alive.holds());
    let text = metrics(&alive.alerts);
    assert!(text.contains("warroom_alert_lease_held 1\n"), "{text}");
    let changes = text
        .lines()
        .find_map(|l| l.strip_prefix("warroom_alert_lease_changes_total "))
        .and_then(|n| n.parse::<u64>().ok());
    assert!(
        changes.is_some_and(|n| n >= 2),
        "the first holder, then itself: {text}"
    );
    let h = history(&alive.alerts);
    assert_eq!(h.len(), 2, "{h:?}");
    assert!(h.iter().all(|(_, _, d)| d == &["delivered"]), "{h:?}");
}

#[tokio::test]
async fn a_crossing_the_holder_was_sending_when_it_died_is_sent_once_more_not_lost() {
    let Some(nats) = Nats::single().await else {
        return;
    };
    let rx = Receiver::default();
    // The first message hangs: the holder dies before it hears back.
    rx.script
        .lock()
        .expect("script")
        .push_back((200, "ok", Duration::from_secs(60)));
    let url = rx.start().await;
    let a = Node::join(&nats, "ALERTS_T2", "a", config(url.clone())).await;
    until(Duration::from_secs(10), "a holds the lease", || a.holds()).await;
    let b = Node::join(&nats, "ALERTS_T2", "b", config(url)).await;

    feed(&[&a, &b], &sales("x", 160_000));
    rx.wait_for(1).await;
    // b has the notice in its history, not yet delivered.
    until(Duration::from_secs(5), "b follows the journal", || {
        history(&b.alerts).len() == 1
    })
    .await;
    a.kill();
    // b takes over and sends what has no final result: once more.
    rx.wait_for(2).await;
    tokio::time::sleep(Duration::from_secs(3)).await;
    assert_eq!(marks(&rx), ["50%", "50%"], "at most once more");
    until(Duration::from_secs(5), "b records its delivery", || {
        history(&b.alerts)
            .first()
            .is_some_and(|(_, _, d)| d == &["delivered"])
    })
    .await;
}

/// Two `warroom serve` processes on one stream: one message per crossing,
/// the same `/api/v1/alerts` on both; the holder SIGKILLed, the next
/// crossing (posted to the survivor) is delivered exactly once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_processes_one_message_per_crossing_and_exactly_one_after_sigkill() {
    let Some(nats) = Nats::single().await else {
        return;
    };
    let rx = Receiver::default();
    let url = rx.start().await;
    let dir = tempfile::tempdir().expect("tempdir");
    let alerts = format!(
        "\n[alerts]\nlanguage = \"en\"\n\n[[alerts.hooks]]\nname = \"war-room\"\nkind = \"slack\"\nurl = {url:?}\n\n\
         [alerts.rules]\nno_events_s = 0\nrate_drop = 0\nspike = 0\nretry_base_ms = 50\n"
    );
    let mut nodes = Vec::new();
    for name in ["a", "b"] {
        let text = format!(
            "{}{alerts}{}",
            crate::support::SALE_TOML,
            nats.cluster_toml("ALERTS_P", 1, name)
        );
        let path = dir.path().join(format!("{name}.toml"));
        std::fs::write(&path, text).expect("write config");
        let mut server = crate::process::start(&path, &[]).expect("warroom starts");
        let http = reqwest::Client::new();
        assert!(server.ready(&http).await, "{}", server.stderr());
        nodes.push(server);
    }
    let http = reqwest::Client::new();
    let held = |base: String| {
        let http = http.clone();
        async move {
            let text = http
                .get(format!("{base}/metrics"))
                .send()
                .await
                .ok()?
                .text()
                .await
                .ok()?;
            Some(text.contains("warroom_alert_lease_held 1\n"))
        }
    };
    let post = |base: String, body: String| {
        let http = http.clone();
        async move {
            let r = http
                .post(format!("{base}/api/v1/events"))
                .header("content-type", "application/x-ndjson")
                .body(body)
                .send()
                .await
                .expect("post");
            assert_eq!(r.status(), 200, "{:?}", r.text().await);
        }
    };
    let alerts_of = |base: String| {
        let http = http.clone();
        async move {
            let v: serde_json::Value = http
                .get(format!("{base}/api/v1/alerts"))
                .send()
                .await
                .expect("alerts")
                .json()
                .await
                .expect("json");
            v
        }
    };

    post(nodes[0].base.clone(), sales("x", 160_000)).await;
    rx.wait_for(1).await;
    tokio::time::sleep(Duration::from_secs(3)).await;
    assert_eq!(marks(&rx), ["50%"], "one message for the cluster");
    let a = alerts_of(nodes[0].base.clone()).await;
    assert_eq!(
        a,
        alerts_of(nodes[1].base.clone()).await,
        "the same history"
    );
    assert_eq!(a.as_array().map(Vec::len), Some(1), "{a}");

    let holder = if held(nodes[0].base.clone()).await == Some(true) {
        0
    } else {
        1
    };
    assert_eq!(held(nodes[1 - holder].base.clone()).await, Some(false));
    let mut dead = nodes.remove(holder);
    dead.child.kill().expect("SIGKILL");
    let _ = dead.child.wait();
    let survivor = &nodes[0];
    let killed = Instant::now();
    post(survivor.base.clone(), sales("y", 90_000)).await;
    rx.wait_for(2).await;
    assert!(
        killed.elapsed() < Duration::from_secs(12),
        "{:?}",
        killed.elapsed()
    );
    tokio::time::sleep(Duration::from_secs(3)).await;
    assert_eq!(marks(&rx), ["50%", "80%"], "exactly once after the kill");
    let a = alerts_of(survivor.base.clone()).await;
    let delivered: Vec<Vec<String>> = a
        .as_array()
        .map(|l| {
            l.iter()
                .map(|r| {
                    r["deliveries"]
                        .as_array()
                        .map(|d| d.iter().map(|d| d["result"].to_string()).collect())
                        .unwrap_or_default()
                })
                .collect()
        })
        .unwrap_or_default();
    assert_eq!(
        delivered,
        [["\"delivered\""], ["\"delivered\""]],
        "{a}\n{}",
        survivor.stderr()
    );
}
