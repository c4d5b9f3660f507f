//! `--mode new-ids`: bodies full of ids the server has never seen, to show
//! that its memory stops at the first-sight caps (`[server]
//! max_unlisted_*`). Every event names a new store and SKU (one in 50 a
//! new channel); the
//! server's `/metrics` (stores, SKUs, resident memory) are read before and
//! after, and the replies' accepted and rejected lines summed.

use std::time::Instant;

use crate::Args;

/// The figures of `/metrics` this mode reports.
#[derive(Debug, Clone, Copy, Default)]
struct Figures {
    stores: u64,
    skus: u64,
    rss: u64,
}

async fn figures(
    client: &reqwest::Client,
    base: &str,
    token: Option<&str>,
) -> anyhow::Result<Figures> {
    let mut req = client.get(format!("{base}/metrics"));
    if let Some(t) = token {
        req = req.bearer_auth(t);
    }
    let text = req.send().await?.error_for_status()?.text().await?;
    let gauge = |name: &str| -> u64 {
        text.lines()
            .find_map(|l| {
                l.strip_prefix(name)?
                    .strip_prefix(' ')?
                    .trim()
                    .parse::<f64>()
                    .ok()
            })
            .map_or(0, |v| v as u64)
    };
    Ok(Figures {
        stores: gauge("warroom_stores"),
        skus: gauge("warroom_skus"),
        rss: gauge("process_resident_memory_bytes"),
    })
}

/// One body of `n` events, each naming a new store and SKU, and one in
/// 50 a new channel (so the store and channel caps bite together).
fn body(run: u64, b: usize, n: usize, ts: i64) -> String {
    let mut out = String::with_capacity(n * 200);
    for i in 0..n {
        let id = format!("n{run}-{b}-{i}");
        let channel = if i % 50 == 0 {
            format!(r#","channel":"ch-{id}""#)
        } else {
            String::new()
        };
        out.push_str(&format!(
            r#"{{"type":"order","id":"{id}","ts":{ts},"store":"st-{id}"{channel},"items":[{{"sku":"sku-{id}","qty":1,"price":"1"}}]}}"#
        ));
        out.push('\n');
    }
    out
}

/// Sends `args.bodies` bodies of `args.batch` events and prints the figures.
pub async fn run(args: &Args, client: &reqwest::Client, base: &str) -> anyhow::Result<()> {
    let token = args.token.as_deref();
    let before = figures(client, base, token).await?;
    let started = Instant::now();
    let (mut accepted, mut rejected, mut first_error) = (0u64, 0u64, None);
    for b in 0..args.bodies {
        let ts = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)?
            .as_millis() as i64;
        let mut req = client
            .post(format!("{base}/api/v1/events"))
            .header("content-type", "application/x-ndjson")
            .body(body(args.seed, b, args.batch, ts));
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        let reply: serde_json::Value = req.send().await?.error_for_status()?.json().await?;
        accepted += reply["accepted"].as_u64().unwrap_or(0);
        rejected += reply["rejected"].as_u64().unwrap_or(0);
        if first_error.is_none() {
            first_error = reply["errors"][0]["error"].as_str().map(str::to_string);
        }
    }
    let after = figures(client, base, token).await?;
    let mb = |b: u64| b as f64 / (1024.0 * 1024.0);
    println!(
        "new-ids: {} bodies of {} events in {:.1} s: {accepted} accepted, {rejected} rejected",
        args.bodies,
        args.batch,
        started.elapsed().as_secs_f64()
    );
    if let Some(e) = first_error {
        println!("  first refusal: {e}");
    }
    println!(
        "  stores {} → {}, SKUs {} → {}",
        before.stores, after.stores, before.skus, after.skus
    );
    println!(
        "  resident memory {:.1} MB → {:.1} MB",
        mb(before.rss),
        mb(after.rss)
    );
    Ok(())
}
