//! docs/api.md, Storage, "Identity": a data directory belongs to one sale.
//! Another sale (name, currency or start) is refused on it before anything
//! is replayed, naming both sales and the directory, unless started with
//! `--adopt-data-dir`; a changed target, catalog or end is a normal edit;
//! a directory from an older warroom takes the identity its `sale.json`
//! recorded.

use std::path::{Path, PathBuf};
use std::process::ExitStatus;
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::Value;
use warroom::clock::SystemClock;
use warroom::engine::Engine;
use warroom::storage::{Adopt, IDENTITY_FILE, Opening, SALE_FILE, Storage};

use crate::process::{Server, start};

/// A sale's config in `dir`, its data directory at `data`.
fn write_config(dir: &Path, data: &Path, sale: &str, extra: &str) -> PathBuf {
    std::fs::create_dir_all(dir).expect("config dir");
    let text = format!(
        r#"[sale]
{sale}
timezone = "Asia/Shanghai"

[[skus]]
id = "k1"
stock = 100000
{extra}

[storage]
dir = "{}"
"#,
        data.display()
    );
    let path = dir.join("sale.toml");
    std::fs::write(&path, text).expect("write config");
    path
}

fn sale(name: &str, currency: &str, starts: &str, ends: &str, target: &str) -> String {
    format!(
        "name = \"{name}\"\ncurrency = \"{currency}\"\nstarts = \"{starts}\"\nends = \"{ends}\"\ntarget = \"{target}\""
    )
}

fn orders(n: usize) -> String {
    let now = chrono::Utc::now().timestamp_millis();
    (0..n)
        .map(|i| {
            format!(
                r#"{{"type":"order","id":"o{i}","ts":{now},"store":"s1","buyer":"b{i}","items":[{{"sku":"k1","qty":1,"price":"10.00"}}]}}"#
            )
        })
        .collect::<Vec<_>>()
        .join("\n")
}

async fn applied(client: &reqwest::Client, base: &str) -> u64 {
    let v: Value = client
        .get(format!("{base}/api/v1/summary"))
        .send()
        .await
        .expect("summary")
        .json()
        .await
        .expect("JSON");
    v["events_applied"].as_u64().expect("events_applied")
}

/// Waits for a server that failed to start to exit; its status.
async fn exited(server: &mut Server) -> ExitStatus {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        if let Ok(Some(status)) = server.child.try_wait() {
            return status;
        }
        assert!(Instant::now() < deadline, "still running");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// "Double 11 2026" (CNY), an hour in, its config written under `dir`
/// with `data` as its data directory: (starts, ends, config path).
fn double11(
    dir: &Path,
    data: &Path,
    now: chrono::DateTime<chrono::Utc>,
) -> (String, String, PathBuf) {
    let starts = (now - chrono::Duration::hours(1)).to_rfc3339();
    let ends = (now + chrono::Duration::hours(23)).to_rfc3339();
    let config = write_config(
        &dir.join("double11"),
        data,
        &sale("Double 11 2026", "CNY", &starts, &ends, "1000000"),
        "",
    );
    (starts, ends, config)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn another_sale_is_refused_on_a_data_directory_until_adopted() {
    let dir = tempfile::tempdir().expect("tempdir");
    let data = dir.path().join("data");
    let client = reqwest::Client::new();
    let now = chrono::Utc::now();
    let (starts, ends, double11) = double11(dir.path(), &data, now);
    let mut server = start(&double11, &[]).expect("start");
    assert!(server.ready(&client).await, "{}", server.stderr());
    let r = client
        .post(format!("{}/api/v1/events", server.base))
        .body(orders(50))
        .send()
        .await
        .expect("post");
    assert_eq!(r.status(), 200);
    drop(server);
    let identity = std::fs::read(data.join(IDENTITY_FILE)).expect("identity.json at creation");
    let record = std::fs::read(data.join(SALE_FILE)).expect("sale.json");

    // Another name, currency and start: refused, naming both, and nothing
    // in the directory changes.
    let black_friday = write_config(
        &dir.path().join("bf"),
        &data,
        &sale(
            "Black Friday 2026",
            "USD",
            "2026-11-27T00:00:00-05:00",
            "2026-11-28T00:00:00-05:00",
            "500000",
        ),
        "",
    );
    let mut server = start(&black_friday, &[]).expect("start");
    assert!(!server.ready(&client).await, "another sale must not start");
    assert_eq!(exited(&mut server).await.code(), Some(1));
    let err = server.stderr();
    for part in [
        "\"Double 11 2026\" (CNY",
        "\"Black Friday 2026\" (USD, starts 2026-11-27T05:00:00Z)",
        &data.display().to_string(),
        "--adopt-data-dir",
    ] {
        assert!(err.contains(part), "{part:?} in {err}");
    }
    assert!(std::fs::read(data.join(IDENTITY_FILE)).is_ok_and(|b| b == identity));
    assert!(std::fs::read(data.join(SALE_FILE)).is_ok_and(|b| b == record));

    // Only the start differs: another sale too.
    let later_end = (now + chrono::Duration::hours(47)).to_rfc3339();
    let next_year = write_config(
        &dir.path().join("later"),
        &data,
        &sale("Double 11 2026", "CNY", &ends, &later_end, "1"),
        "",
    );
    let mut server = start(&next_year, &[]).expect("start");
    assert!(!server.ready(&client).await);
    assert_eq!(exited(&mut server).await.code(), Some(1));

    // A new target, end and SKU: the same sale, edited.
    let edited = write_config(
        &dir.path().join("edited"),
        &data,
        &sale("Double 11 2026", "CNY", &starts, &later_end, "2000000"),
        "\n[[skus]]\nid = \"k2\"\nstock = 5\n",
    );
    let mut server = start(&edited, &[]).expect("start");
    assert!(server.ready(&client).await, "{}", server.stderr());
    assert_eq!(applied(&client, &server.base).await, 50);
    drop(server);
    assert!(std::fs::read(data.join(IDENTITY_FILE)).is_ok_and(|b| b == identity));

    // Told explicitly: the directory becomes Black Friday's, keeping its id.
    let mut server = start(&black_friday, &["--adopt-data-dir"]).expect("start");
    assert!(server.ready(&client).await, "{}", server.stderr());
    assert_eq!(applied(&client, &server.base).await, 50);
    drop(server);
    let adopted = std::fs::read_to_string(data.join(IDENTITY_FILE)).expect("identity");
    assert!(adopted.contains("Black Friday 2026"), "{adopted}");
    let id = |text: &str| {
        let v: Value = serde_json::from_str(text).expect("identity JSON");
        v["id"].as_str().map(String::from)
    };
    assert_eq!(
        id(&adopted),
        id(&String::from_utf8_lossy(&identity)),
        "the directory keeps its id"
    );
    let mut server = start(&black_friday, &[]).expect("start");
    assert!(server.ready(&client).await, "{}", server.stderr());
    drop(server);
    let mut server = start(&double11, &[]).expect("start");
    assert!(
        !server.ready(&client).await,
        "now Double 11 is the other sale"
    );
}

fn fixture_copy() -> tempfile::TempDir {
    let from = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/upgrade-v1");
    let tmp = tempfile::tempdir().expect("tempdir");
    for entry in std::fs::read_dir(from.join("data")).expect("fixture data") {
        let path = entry.expect("entry").path();
        std::fs::copy(&path, tmp.path().join(path.file_name().expect("name"))).expect("copy");
    }
    tmp
}

fn fixture_config() -> warroom::config::Config {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/upgrade-v1/sale.toml");
    warroom::config::load_file(&path).expect("fixture config")
}

fn open(cfg: &warroom::config::Config, dir: &Path, adopt: bool) -> Result<(), String> {
    let engine = Engine::new(Arc::new(cfg.clone()), Arc::new(SystemClock));
    let opening = Opening {
        adopt: if adopt { Adopt::AnySale } else { Adopt::No },
        ..Opening::default()
    };
    let (storage, _) =
        Storage::open(&cfg.storage, dir, engine, opening).map_err(|e| e.to_string())?;
    storage.close();
    Ok(())
}

/// An older warroom's directory has no identity file: its `sale.json`
/// names the sale, so its own config starts (and records the identity)
/// and another sale is refused as on any directory.
#[test]
fn an_older_directory_takes_the_identity_its_sale_file_recorded() {
    let cfg = fixture_config();
    let dir = fixture_copy();
    assert!(!dir.path().join(IDENTITY_FILE).exists());
    let mut other = cfg.clone();
    other.sale.name = "Another sale".into();
    let err = open(&other, dir.path(), false).expect_err("another sale");
    assert!(
        err.contains("\"Upgrade fixture 2026\" (CNY") && err.contains("\"Another sale\" (CNY"),
        "{err}"
    );
    assert!(!dir.path().join(IDENTITY_FILE).exists(), "nothing written");

    open(&cfg, dir.path(), false).expect("its own sale starts");
    let text = std::fs::read_to_string(dir.path().join(IDENTITY_FILE)).expect("recorded");
    assert!(text.contains("Upgrade fixture 2026"), "{text}");
    open(&cfg, dir.path(), false).expect("and again");
    assert!(open(&other, dir.path(), false).is_err());

    // A log without any record of its sale takes the config's.
    let bare = fixture_copy();
    std::fs::remove_file(bare.path().join(SALE_FILE)).expect("rm sale.json");
    open(&other, bare.path(), false).expect("nothing recorded: the config's sale");
    assert!(open(&cfg, bare.path(), false).is_err());
}

/// An identity file from a newer warroom is refused by name, even with
/// `--adopt-data-dir`; a damaged one stops start-up until adopted.
#[test]
fn a_newer_or_damaged_identity_file_is_refused_by_name() {
    let cfg = fixture_config();
    let dir = fixture_copy();
    open(&cfg, dir.path(), false).expect("start");
    let path = dir.path().join(IDENTITY_FILE);
    let good = std::fs::read_to_string(&path).expect("identity");

    std::fs::write(&path, good.replace(r#""version": 1"#, r#""version": 2"#)).expect("w");
    for adopt in [false, true] {
        let err = open(&cfg, dir.path(), adopt).expect_err("newer");
        assert!(
            err.contains(IDENTITY_FILE) && err.contains("is newer than this warroom"),
            "{err}"
        );
    }
    std::fs::write(&path, "{ damaged").expect("w");
    let err = open(&cfg, dir.path(), false).expect_err("damaged");
    assert!(
        err.contains(IDENTITY_FILE) && err.contains("--adopt-data-dir"),
        "{err}"
    );
    open(&cfg, dir.path(), true).expect("adopted");
    open(&cfg, dir.path(), false).expect("recorded again");
}

/// `warroom demo --data-dir DIR`, its stdout and stderr once it exits, or
/// `None` while it still runs after `wait` (then it is killed).
fn demo_on(data: &Path, wait: Duration) -> Option<(ExitStatus, String)> {
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_warroom"))
        .args([
            "demo",
            "--rate",
            "0",
            "--listen",
            "127.0.0.1:0",
            "--data-dir",
        ])
        .arg(data)
        .env("RUST_LOG", "warn")
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("start the demo");
    let deadline = Instant::now() + wait;
    while Instant::now() < deadline {
        if let Ok(Some(_)) = child.try_wait() {
            let out = child.wait_with_output().expect("output");
            return Some((out.status, String::from_utf8_lossy(&out.stderr).into()));
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let _ = child.kill();
    let _ = child.wait();
    None
}

/// The demo adopts a directory only when it is a demo's (the demo's sale
/// starts when it is run): pointed at a real sale's directory by mistake,
/// it is refused like any other sale and changes nothing, instead of
/// taking the directory over and logging simulated orders into it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_demo_adopts_only_a_demo_directory() {
    let dir = tempfile::tempdir().expect("tempdir");
    let data = dir.path().join("data");
    let client = reqwest::Client::new();
    let now = chrono::Utc::now();
    let (_, _, double11) = double11(dir.path(), &data, now);
    let mut server = start(&double11, &[]).expect("start");
    assert!(server.ready(&client).await, "{}", server.stderr());
    drop(server);
    let identity = std::fs::read(data.join(IDENTITY_FILE)).expect("identity.json");
    let record = std::fs::read(data.join(SALE_FILE)).expect("sale.json");

    let (status, err) =
        demo_on(&data, Duration::from_secs(30)).expect("the demo must not start on a sale's data");
    assert_eq!(status.code(), Some(1), "{err}");
    assert!(err.contains("\"Double 11 2026\" (CNY"), "{err}");
    assert!(std::fs::read(data.join(IDENTITY_FILE)).is_ok_and(|b| b == identity));
    assert!(std::fs::read(data.join(SALE_FILE)).is_ok_and(|b| b == record));

    // A demo's own directory, started again later: adopted as before.
    let demo = dir.path().join("demo");
    assert!(demo_on(&demo, Duration::from_secs(3)).is_none(), "runs");
    let first = std::fs::read_to_string(demo.join(IDENTITY_FILE)).expect("demo identity");
    std::thread::sleep(Duration::from_millis(1100));
    let again = demo_on(&demo, Duration::from_secs(3));
    assert!(
        again.is_none(),
        "the demo starts again on its directory: {again:?}"
    );
    let second = std::fs::read_to_string(demo.join(IDENTITY_FILE)).expect("demo identity");
    assert_ne!(first, second, "another start of the demo sale");
}
