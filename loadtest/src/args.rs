//! Flags of the load test.

use std::path::PathBuf;
use std::str::FromStr;

use clap::{Parser, ValueEnum};

use crate::nodes::Nodes;

#[derive(Debug, Clone, Parser)]
#[command(
    name = "loadtest",
    about = "Drive a warroom server with a realistic sale"
)]
pub struct Args {
    /// `traffic`: the realistic sale; `new-ids`: bodies full of ids never
    /// seen, reporting the server's memory before and after (the caps).
    #[arg(long, value_enum, default_value_t = Mode::Traffic)]
    pub mode: Mode,
    /// `new-ids`: how many bodies to send (of `--batch` events each).
    #[arg(long, default_value_t = 100)]
    pub bodies: usize,
    /// The server's base URL, or several nodes' separated by commas
    /// (`http://a:8080,http://b:8080`). Connections and screens are spread
    /// round-robin over the nodes, each sticking to its node; a request
    /// that fails there is sent again, the same body, to the next node (and
    /// the connection stays on the one that answered). The final check
    /// reads every node's totals.
    #[arg(long, default_value = "http://127.0.0.1:8080")]
    pub url: Nodes,
    /// Target events per second, or `max` (as fast as the server takes them).
    #[arg(long, default_value = "10000")]
    pub rate: Rate,
    /// Concurrent HTTP connections (each waits for its reply, which waits
    /// for the log: too few and they, not the server, set the rate).
    #[arg(long, default_value_t = 16)]
    pub connections: usize,
    /// Events per request.
    #[arg(long, default_value_t = 1000)]
    pub batch: usize,
    /// How long to send: plain seconds (`30`) or with a unit (`500ms`,
    /// `30s`, `2m`, `1h`).
    #[arg(long, default_value = "10", value_parser = parse_duration)]
    pub duration: f64,
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// How long a body that failed keeps being sent again (the same
    /// bytes, on the next node) before it is given up: a cluster's
    /// failover takes seconds, and a real order system does not drop an
    /// order after one `503`. Plain seconds or with a unit.
    #[arg(long, default_value = "30", value_parser = parse_duration)]
    pub retry_for: f64,
    /// How the rate moves over the run.
    #[arg(long, value_enum, default_value_t = Profile::Flat)]
    pub profile: Profile,
    /// Share of events that repeat a recent order (client retries).
    #[arg(long, default_value_t = 0.002)]
    pub duplicates: f64,
    /// Share of lines that report a store's traffic (visitors, page views;
    /// 0.047: one per ~20 orders; 30 % of them a product page).
    #[arg(long, default_value_t = 0.047, value_parser = share)]
    pub traffic_share: f64,
    /// Share of lines that report ad spend of a campaign or a channel
    /// (0.0047: one per ~200 orders).
    #[arg(long, default_value_t = 0.0047, value_parser = share)]
    pub spend_share: f64,
    /// Share of orders that name the buyer's region (population-weighted
    /// over China's divisions, a few abroad; code, Chinese or English).
    #[arg(long, default_value_t = 0.95, value_parser = share)]
    pub region_share: f64,
    /// Share of orders attributed to a campaign of their channel.
    #[arg(long, default_value_t = 0.5, value_parser = share)]
    pub campaign_share: f64,
    /// WebSocket screens to open.
    #[arg(long, default_value_t = 0)]
    pub screens: usize,
    /// Of those, how many read their frames (latency, frames by type,
    /// inflated size); the rest only count frames and bytes.
    #[arg(long, default_value_t = 100)]
    pub latency_screens: usize,
    /// Screens offer nothing in their upgrade (by default they offer
    /// `permessage-deflate; client_max_window_bits`, as Chromium does).
    #[arg(long)]
    pub no_deflate: bool,
    /// Run once per number of screens, in turn (`0,1000,5000,10000`; 0 is
    /// the no-screens reference), each for `--duration`, and print the
    /// curve. The exactness check runs once, after the last step.
    #[arg(long, value_delimiter = ',', num_args = 1, conflicts_with = "screens")]
    pub screen_sweep: Vec<usize>,
    /// Stores in the generated catalog (ids s0001…, as `warroom demo` has).
    #[arg(long, default_value_t = 50)]
    pub stores: usize,
    /// SKUs in the generated catalog (ids k000001…).
    #[arg(long, default_value_t = 2000)]
    pub skus: usize,
    /// First send one order for every store and SKU (for memory tests).
    #[arg(long)]
    pub touch_all: bool,
    /// Write the results as JSON here.
    #[arg(long)]
    pub report: Option<PathBuf>,
    /// Bearer token for ingest and the live socket.
    #[arg(long)]
    pub token: Option<String>,
    /// Skip the final comparison of totals (when other traffic is running).
    #[arg(long)]
    pub no_check: bool,
}

impl Args {
    /// The run sends figures per region or campaign, so the check reads
    /// `/api/v1/regions` and `/api/v1/campaigns` too.
    pub fn sends_places(&self) -> bool {
        self.region_share > 0.0 || self.campaign_share > 0.0 || self.spend_share > 0.0
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Mode {
    Traffic,
    NewIds,
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Rate {
    Max,
    PerSecond(f64),
}

impl FromStr for Rate {
    type Err = String;
    fn from_str(s: &str) -> Result<Rate, String> {
        if s == "max" {
            return Ok(Rate::Max);
        }
        match s.parse::<f64>() {
            Ok(r) if r > 0.0 => Ok(Rate::PerSecond(r)),
            _ => Err(format!(
                "rate: a number of events per second or `max`, got {s:?}"
            )),
        }
    }
}

/// A share from 0 to 1.
fn share(s: &str) -> Result<f64, String> {
    match s.parse::<f64>() {
        Ok(v) if (0.0..=1.0).contains(&v) => Ok(v),
        _ => Err(format!("a share from 0 to 1, got {s:?}")),
    }
}

/// A duration in seconds from `30`, `30s`, `2m`, `1h` or `500ms`.
pub fn parse_duration(s: &str) -> Result<f64, String> {
    let t = s.trim();
    let split = t
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(t.len());
    let (number, unit) = t.split_at(split);
    let scale = match unit {
        "" | "s" => 1.0,
        "ms" => 0.001,
        "m" => 60.0,
        "h" => 3600.0,
        _ => {
            return Err(format!(
                "duration: unknown unit {unit:?} in {s:?} (use ms, s, m or h)"
            ));
        }
    };
    match number.parse::<f64>() {
        Ok(n) if n > 0.0 && n.is_finite() => Ok(n * scale),
        _ => Err(format!(
            "duration: a positive number of seconds or e.g. 30s, 2m, got {s:?}"
        )),
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Profile {
    /// The same rate throughout.
    Flat,
    /// From 0 to the rate, linearly.
    Ramp,
    /// The rate at once, decaying to 15 % of it (a sale's midnight).
    MidnightSpike,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_with_and_without_units() {
        assert_eq!(parse_duration("30"), Ok(30.0));
        assert_eq!(parse_duration("30s"), Ok(30.0));
        assert_eq!(parse_duration("2m"), Ok(120.0));
        assert_eq!(parse_duration("1h"), Ok(3600.0));
        assert_eq!(parse_duration("1.5m"), Ok(90.0));
        assert_eq!(parse_duration("500ms"), Ok(0.5));
        for bad in ["", "0", "-3", "2x", "m", "1e9999"] {
            assert!(parse_duration(bad).is_err(), "{bad:?} must be refused");
        }
    }

    #[test]
    fn the_flag_takes_units() {
        let a = Args::try_parse_from(["loadtest", "--duration", "2m"]).expect("parses");
        assert_eq!(a.duration, 120.0);
        assert!(Args::try_parse_from(["loadtest", "--duration", "2 weeks"]).is_err());
    }

    #[test]
    fn shares_are_between_zero_and_one() {
        let a = Args::try_parse_from(["loadtest", "--spend-share", "0"]).expect("zero");
        assert_eq!((a.spend_share, a.region_share), (0.0, 0.95));
        assert!(Args::try_parse_from(["loadtest", "--traffic-share", "1.5"]).is_err());
        assert!(Args::try_parse_from(["loadtest", "--region-share", "-0.1"]).is_err());
    }

    #[test]
    fn url_takes_one_node_or_a_list() {
        let a = Args::try_parse_from(["loadtest"]).expect("defaults");
        assert_eq!(a.url.list(), ["http://127.0.0.1:8080"]);
        let a = Args::try_parse_from(["loadtest", "--url", "http://a:1,http://b:2"]).expect("list");
        assert_eq!(a.url.list(), ["http://a:1", "http://b:2"]);
        let e =
            Args::try_parse_from(["loadtest", "--url", "http://a:1,"]).expect_err("empty entry");
        assert!(e.to_string().contains("entry 2"), "{e}");
    }
}
