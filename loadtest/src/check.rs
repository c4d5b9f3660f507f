//! Speed never at the cost of exactness: the server's totals must move by
//! exactly what the acknowledged batches held.

use serde_json::Value;

use crate::template::Expected;

pub async fn summary(
    client: &reqwest::Client,
    base: &str,
    token: Option<&str>,
) -> anyhow::Result<Value> {
    let mut req = client.get(format!("{base}/api/v1/summary"));
    if let Some(t) = token {
        req = req.bearer_auth(t);
    }
    let r = req.send().await?;
    anyhow::ensure!(
        r.status().is_success(),
        "GET /api/v1/summary: HTTP {}",
        r.status()
    );
    Ok(serde_json::from_slice(&r.bytes().await?)?)
}

/// Prints each figure's change against the ledger; true when all match.
pub fn compare(before: &Value, after: &Value, e: &Expected) -> bool {
    let delta = |path: &[&str]| {
        let get = |v: &Value| path.iter().fold(v, |v, k| &v[*k]).as_i64().unwrap_or(0);
        get(after) - get(before)
    };
    let rows: [(&str, &[&str], i64); 8] = [
        ("events applied", &["events_applied"], e.events as i64),
        ("duplicates", &["duplicates"], e.duplicates as i64),
        ("orders", &["totals", "orders"], e.orders as i64),
        ("GMV (minor units)", &["totals", "gmv"], e.gmv),
        ("units", &["totals", "units"], e.units as i64),
        (
            "refunds",
            &["totals", "refund_count"],
            e.refund_count as i64,
        ),
        ("refunded (minor units)", &["totals", "refunds"], e.refunds),
        (
            "refunded units",
            &["totals", "refund_units"],
            e.refund_units as i64,
        ),
    ];
    println!();
    println!("check             {:>16} {:>16}", "server", "sent");
    let mut exact = true;
    for (name, path, want) in rows {
        let got = delta(path);
        let ok = got == want;
        exact &= ok;
        println!(
            "{name:<18}{got:>16} {want:>16}  {}",
            if ok { "ok" } else { "DIFFERENT" }
        );
    }
    exact
}
