//! docs/api.md, Storage, on the real binary across restart loops: what a
//! clean stop leaves in the data directory (no space reserved past the end
//! of a segment), whatever the start logged.

use std::os::unix::fs::MetadataExt;
use std::path::Path;
use std::process::Command;

use crate::crash::{post, stream, write_config};
use crate::process::start;

/// Bytes allocated to each log segment beyond what its length needs.
fn reserved_past_end(data: &Path) -> Vec<(String, u64)> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(data).expect("data dir") {
        let path = entry.expect("entry").path();
        let name = path
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or_default()
            .to_string();
        if !(name.starts_with("wal-") && name.ends_with(".log")) {
            continue;
        }
        let meta = std::fs::metadata(&path).expect("metadata");
        let allocated = meta.blocks() * 512;
        let needed = meta.len().div_ceil(4096) * 4096;
        out.push((name, allocated.saturating_sub(needed)));
    }
    out
}

/// SIGTERM, and the exit status.
fn terminate(server: &mut crate::process::Server) -> std::process::ExitStatus {
    let _ = Command::new("kill")
        .args(["-TERM", &server.child.id().to_string()])
        .status();
    server.child.wait().expect("exit")
}

/// The writer reserves 32–64 MiB past the end of its segment while it runs;
/// a clean stop gives it back, also when the start logged nothing (the
/// stop once returned before the writer had freed it).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_clean_stop_leaves_no_space_reserved_past_the_log() {
    let dir = tempfile::tempdir().expect("tempdir");
    let config = write_config(dir.path(), "interval");
    let client = reqwest::Client::new();
    let (lines, _) = stream(50, 7);
    for round in 0..4 {
        let mut server = start(&config, &[]).expect("start");
        assert!(server.ready(&client).await, "{}", server.stderr());
        if round == 1 {
            post(&client, &server.base, lines.join("\n"))
                .await
                .expect("accepted");
        }
        let status = terminate(&mut server);
        assert!(status.success(), "{status:?}\n{}", server.stderr());
        let reserved = reserved_past_end(&dir.path().join("data"));
        assert!(!reserved.is_empty(), "a segment is there");
        assert!(
            reserved.iter().all(|(_, bytes)| *bytes == 0),
            "round {round}: space still reserved after a clean stop: {reserved:?}"
        );
    }
}
