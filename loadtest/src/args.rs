//! Flags of the load test.

use std::path::PathBuf;
use std::str::FromStr;

use clap::{Parser, ValueEnum};

#[derive(Debug, Clone, Parser)]
#[command(
    name = "loadtest",
    about = "Drive a warroom server with a realistic sale"
)]
pub struct Args {
    /// The server's base URL.
    #[arg(long, default_value = "http://127.0.0.1:8080")]
    pub url: String,
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
    /// Seconds to send for.
    #[arg(long, default_value_t = 10.0)]
    pub duration: f64,
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// How the rate moves over the run.
    #[arg(long, value_enum, default_value_t = Profile::Flat)]
    pub profile: Profile,
    /// Share of events that repeat a recent order (client retries).
    #[arg(long, default_value_t = 0.002)]
    pub duplicates: f64,
    /// WebSocket screens to open.
    #[arg(long, default_value_t = 0)]
    pub screens: usize,
    /// Of those, how many parse frames to measure latency (the rest only count).
    #[arg(long, default_value_t = 100)]
    pub latency_screens: usize,
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

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Profile {
    /// The same rate throughout.
    Flat,
    /// From 0 to the rate, linearly.
    Ramp,
    /// The rate at once, decaying to 15 % of it (a sale's midnight).
    MidnightSpike,
}
