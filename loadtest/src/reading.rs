//! What one node shows of the figures the check compares: its summary
//! and, when the run sends regions, campaigns or spend, its
//! `/api/v1/regions` and `/api/v1/campaigns` rows (docs/api.md, the
//! `/api/v1/regions` and `/api/v1/campaigns` sections), put in the
//! traffic model's slots (`warroom::sim::Places`) so they subtract and
//! compare like the ledger. Rows the model never sends (another client's
//! regions or campaigns) are left out.

use serde_json::Value;
use warroom::sim::{CAMPAIGNS, Places, REGION_SLOTS, region_id};

/// One node's figures at one moment.
#[derive(Debug, Clone)]
pub struct Reading {
    pub summary: Value,
    /// Per region and campaign; `None` when not read.
    pub places: Option<Places>,
}

async fn get(
    client: &reqwest::Client,
    base: &str,
    path: &str,
    token: Option<&str>,
) -> anyhow::Result<Value> {
    let mut req = client.get(format!("{base}{path}"));
    if let Some(t) = token {
        req = req.bearer_auth(t);
    }
    let r = req.send().await?;
    anyhow::ensure!(
        r.status().is_success(),
        "GET {base}{path}: HTTP {}",
        r.status()
    );
    Ok(serde_json::from_slice(&r.bytes().await?)?)
}

pub async fn summary(
    client: &reqwest::Client,
    base: &str,
    token: Option<&str>,
) -> anyhow::Result<Value> {
    get(client, base, "/api/v1/summary", token).await
}

/// The node's summary, and with `places` its regions and campaigns.
pub async fn read(
    client: &reqwest::Client,
    base: &str,
    token: Option<&str>,
    places: bool,
) -> anyhow::Result<Reading> {
    let summary = summary(client, base, token).await?;
    let places = if places {
        let regions = get(client, base, "/api/v1/regions", token).await?;
        let campaigns = get(client, base, "/api/v1/campaigns", token).await?;
        Some(to_places(&regions, &campaigns))
    } else {
        None
    };
    Ok(Reading { summary, places })
}

fn int(v: &Value) -> i64 {
    v.as_i64().unwrap_or(0)
}

/// `{"regions": [{id, orders, gmv}]}` and `{"campaigns": [{id, orders,
/// gmv, spend}]}` in the model's slots.
pub fn to_places(regions: &Value, campaigns: &Value) -> Places {
    let mut p = Places::default();
    let rows = |v: &Value, key: &str| v[key].as_array().cloned().unwrap_or_default();
    for row in rows(regions, "regions") {
        let id = row["id"].as_str().unwrap_or("");
        if let Some(slot) = (0..REGION_SLOTS).find(|&i| region_id(i) == id) {
            p.regions[slot].orders = int(&row["orders"]) as u64;
            p.regions[slot].gmv = int(&row["gmv"]);
        }
    }
    for row in rows(campaigns, "campaigns") {
        let id = row["id"].as_str().unwrap_or("");
        if let Some(slot) = CAMPAIGNS.iter().position(|c| c.id == id) {
            let s = &mut p.campaigns[slot];
            s.orders = int(&row["orders"]) as u64;
            s.gmv = int(&row["gmv"]);
            s.spend = int(&row["spend"]);
        }
    }
    p
}
