//! The load test against a real warroom server, built through warroom's
//! own `App` with the demo sale and no simulated traffic (what
//! `warroom demo --rate 0` serves), and against a hand-made WebSocket
//! server that compresses its frames.

use std::sync::Arc;
use std::time::Duration;

use clap::Parser;
use flate2::{Compress, Compression};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;
use tokio::sync::oneshot;
use warroom::app::{App, Options};
use warroom::config::ServerConfig;
use warroom::demo::{DemoOptions, demo_config};

use crate::args::Args;
use crate::screens::BatchLog;
use crate::screens::sampled::{Sample, Shared};
use crate::screens::socket;
use crate::stats::new_histogram;
use crate::ws::handshake::{self, Target};
use crate::ws::inflate::tests::compress;
use crate::{step, sweep, template};

/// A demo server on a loopback port, stopped when dropped.
struct Server {
    url: String,
    _stop: oneshot::Sender<()>,
    _dir: tempfile::TempDir,
}

async fn demo_server() -> Server {
    let now = chrono_now_ms();
    let server = ServerConfig {
        listen: "127.0.0.1:0".parse().expect("address"),
        ..ServerConfig::default()
    };
    let (mut cfg, _) = demo_config(now, &DemoOptions { rate: 0, seed: 1 }, server);
    let dir = tempfile::tempdir().expect("tempdir");
    cfg.storage.dir = Some(dir.path().to_path_buf());
    let app = App::build(
        cfg,
        Arc::new(warroom::clock::SystemClock),
        Options::default(),
    )
    .expect("app builds");
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let url = format!("http://{}", listener.local_addr().expect("address"));
    let (stop, stopped) = oneshot::channel::<()>();
    tokio::spawn(app.serve(
        listener,
        async {
            let _ = stopped.await;
        },
        |_| {},
    ));
    let client = reqwest::Client::new();
    for _ in 0..400 {
        let ready = client.get(format!("{url}/readyz")).send().await;
        if ready.is_ok_and(|r| r.status().is_success()) {
            return Server {
                url,
                _stop: stop,
                _dir: dir,
            };
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    panic!("the demo server did not become ready");
}

fn chrono_now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as i64)
}

fn args(url: &str, duration: &str, extra: &[&str]) -> Args {
    let mut all = vec![
        "loadtest",
        "--url",
        url,
        "--rate",
        "4000",
        "--batch",
        "100",
        "--connections",
        "2",
        "--duration",
        duration,
        "--latency-screens",
        "1",
    ];
    all.extend_from_slice(extra);
    Args::try_parse_from(all).expect("flags")
}

/// One sampled and two counting screens on a real server while events
/// flow: the sample reads hello, a snapshot and ticks and measures
/// latency; the counting screens count frames; the server's metrics move.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_sampled_screen_counts_ticks_and_measures_latency() {
    let server = demo_server().await;
    let args = args(&server.url, "1500ms", &["--screens", "3"]);
    let client = reqwest::Client::new();
    let ctx = step::Ctx {
        args: &args,
        client: &client,
        templates: Arc::new(template::Templates::build(&args)),
        fit: usize::MAX,
    };
    let step = step::run(&ctx, 3, 0).await.expect("a run");
    let s = &step.screens;
    assert_eq!(
        (s.connected, s.sampled, s.failed),
        (3, 1, 0),
        "{:?}",
        s.errors
    );
    assert_eq!((s.sample.hello, s.sample.snapshot), (1, 1));
    assert!(s.sample.tick > 0, "ticks arrive: {:?}", s.sample);
    assert_eq!(s.sample.unreadable, 0);
    assert!(!s.e2s.is_empty(), "batches seen on the screen");
    assert!(!s.lag.is_empty());
    assert!(
        s.frames >= 3 * s.sample.tick / 2,
        "the counting screens count too"
    );
    assert!(s.bytes > 0);
    assert!(step.sent.batches > 0);
    let server_view = step.server.expect("metrics readable");
    assert!(server_view.frames_sent > 0);
    let report = crate::stats::Report::new(&args, &step);
    assert!(report.frames_per_s_per_screen > 0.0);
    assert!(report.loadtest_cpu.cpu_seconds >= 0.0);
}

/// `--screen-sweep 0,5`: two steps, a row each, the second with its five
/// screens, and the server back to no screens between and after.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_tiny_sweep_prints_its_curve() {
    let server = demo_server().await;
    let args = args(&server.url, "700ms", &["--screen-sweep", "0,5"]);
    assert_eq!(args.screen_sweep, [0, 5]);
    let client = reqwest::Client::new();
    let before = crate::check::before(&client, &args.url, None, args.sends_places())
        .await
        .expect("before");
    let ctx = step::Ctx {
        args: &args,
        client: &client,
        templates: Arc::new(template::Templates::build(&args)),
        fit: usize::MAX,
    };
    let sweep = sweep::run(&ctx, &args.screen_sweep).await.expect("a sweep");
    let table = sweep::table(&sweep.curve);
    let lines: Vec<&str> = table.lines().collect();
    assert_eq!(lines.len(), 3, "{table}");
    assert!(lines[0].contains("screens") && lines[0].contains("HTTP p99"));
    let cells = |l: &str| l.split_whitespace().map(str::to_string).collect::<Vec<_>>();
    assert_eq!(cells(lines[1])[..2], ["0", "0"]);
    assert_eq!(cells(lines[2])[..2], ["5", "5"]);
    assert_eq!(sweep.curve[0].event_to_screen_p99_ms, None);
    assert!(sweep.curve[1].frames_per_s_per_screen > 0.0);
    let gone = crate::server_view::read(&client, &args.url, None)
        .await
        .expect("metrics");
    assert_eq!(gone.screens, 0, "the last step's screens left");
    // The steps sent different ids: the totals add up exactly.
    let checks = crate::check::after(
        &client,
        &args.url,
        None,
        &before,
        &sweep.expected,
        &sweep.slack,
    )
    .await
    .expect("check");
    assert!(checks.iter().all(|c| c.exact));
}

/// The default mix against a real server: traffic, spend, regions and
/// campaigns go in, and the check compares the server's visitors, page
/// views, spend and every region's and campaign's figures with the
/// ledger; one order moved to another region in the ledger fails it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_check_covers_traffic_spend_regions_and_campaigns() {
    let server = demo_server().await;
    let args = args(&server.url, "1s", &[]);
    assert!(args.sends_places());
    let client = reqwest::Client::new();
    let before = crate::check::before(&client, &args.url, None, true)
        .await
        .expect("before");
    let ctx = step::Ctx {
        args: &args,
        client: &client,
        templates: Arc::new(template::Templates::build(&args)),
        fit: usize::MAX,
    };
    let step = step::run(&ctx, 0, 0).await.expect("a run");
    let e = step.sent.expected;
    assert!(
        e.visitors > 0 && e.page_views > e.visitors && e.spend > 0,
        "{e:?}"
    );
    let regions = e.places.regions.iter().filter(|r| r.orders > 0).count();
    assert!(regions >= 20, "{regions} regions");
    assert!(
        e.places
            .campaigns
            .iter()
            .any(|c| c.spend > 0 && c.orders > 0)
    );
    let none = template::Expected::default();
    let check = async |e: &template::Expected| {
        crate::check::after(&client, &args.url, None, &before, e, &none)
            .await
            .expect("check")
    };
    assert!(
        check(&e).await.iter().all(|c| c.exact),
        "the server counted what was sent"
    );
    let mut moved = e;
    let from = moved
        .places
        .regions
        .iter()
        .position(|r| r.orders > 0)
        .expect("a region");
    moved.places.regions[from].orders -= 1;
    moved.places.regions[from + 1].orders += 1;
    assert!(
        !check(&moved).await[0].exact,
        "a region's orders are compared"
    );
    let mut spent = e;
    spent.spend += 1;
    assert!(!check(&spent).await[0].exact, "spend is compared");
}

/// A server that accepts `permessage-deflate` (with context takeover, the
/// harder case), sends compressed frames and a ping: the sampled screen
/// reads every frame, and the ping is answered with a masked pong.
#[tokio::test]
async fn a_sampled_screen_inflates_and_answers_pings() {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("address");
    let frames = [
        r#"{"type":"hello","server_time_ms":1}"#.to_string(),
        r#"{"type":"snapshot","seq":4,"events_applied":0,"server_time_ms":1}"#.to_string(),
        r#"{"type":"tick","seq":5,"events_applied":100,"server_time_ms":1}"#.to_string(),
        r#"{"type":"tick","seq":9,"events_applied":200,"server_time_ms":1}"#.to_string(),
    ];
    let sent = frames.clone();
    let server = tokio::spawn(async move {
        let (mut s, _) = listener.accept().await.expect("accept");
        let mut head = Vec::new();
        while !head.ends_with(b"\r\n\r\n") {
            head.push(s.read_u8().await.expect("request"));
        }
        let head = String::from_utf8_lossy(&head).to_string();
        assert!(head.contains(&format!("Sec-WebSocket-Extensions: {}", handshake::OFFER)));
        s.write_all(b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Extensions: permessage-deflate\r\n\r\n")
            .await
            .expect("101");
        let mut c = Compress::new(Compression::default(), false);
        for text in &sent {
            let wire = compress(&mut c, text.as_bytes());
            let mut f = vec![0xC1, wire.len() as u8];
            f.extend_from_slice(&wire);
            s.write_all(&f).await.expect("frame");
        }
        s.write_all(&[0x89, 2, b'h', b'i']).await.expect("ping");
        let mut pong = [0u8; 8];
        s.read_exact(&mut pong).await.expect("pong");
        pong
    });
    let target = Target::new(&format!("http://{addr}"), "/api/v1/live").expect("target");
    let up = handshake::connect(&target, true, 7).await.expect("upgrade");
    assert_eq!(
        up.deflate.map(|d| d.server_no_context_takeover),
        Some(false)
    );
    let log = Arc::new(BatchLog::with_base(0));
    log.push(0, 100);
    log.mark_sent(0, std::time::Instant::now());
    let pong = tokio::time::timeout(Duration::from_secs(10), async {
        let (stop, stop_rx) = tokio::sync::watch::channel(false);
        let shared = Arc::new(Shared {
            e2s: parking_lot::Mutex::new(new_histogram()),
            lag: parking_lot::Mutex::new(new_histogram()),
            counting: std::sync::atomic::AtomicBool::new(true),
        });
        let mut sample = Sample::new(log, shared.clone(), Some(false), 1 << 20);
        let ready = std::sync::atomic::AtomicUsize::new(0);
        let reading = socket::read(up, stop_rx, &mut sample, &ready, [9, 8, 7, 6]);
        let (ended, pong) = tokio::join!(reading, async {
            let pong = server.await.expect("server");
            let _ = stop.send(true);
            pong
        });
        let c = sample.counts;
        assert_eq!(
            (c.hello, c.snapshot, c.tick, c.unreadable),
            (1, 1, 2, 0),
            "{c:?}"
        );
        assert_eq!(c.seq_skipped, 3, "seq 5 → 9");
        let text: usize = frames.iter().map(String::len).sum();
        assert_eq!(c.text_bytes, text as u64, "inflated to the very text");
        assert!(c.wire_bytes < c.text_bytes);
        assert_eq!(ended.walker.messages, 4);
        assert_eq!(shared.e2s.lock().len(), 1, "the one batch, seen once");
        pong
    })
    .await
    .expect("in time");
    assert_eq!(pong[0], 0x8A);
    assert_eq!(pong[1], 0x80 | 2, "masked");
    let unmasked = [pong[6] ^ pong[2], pong[7] ^ pong[3]];
    assert_eq!(&unmasked, b"hi");
}
