//! Any bytes as an ingest body (NDJSON, array or object): never a panic,
//! and a refused body changes nothing.
#![no_main]

use std::sync::{Arc, OnceLock};

use libfuzzer_sys::fuzz_target;
use warroom::clock::ManualClock;
use warroom::config::Config;
use warroom::engine::Engine;
use warroom::ingest::Ingest;
use warroom::metrics::HttpMetrics;

const SALE: &str = r#"
[sale]
name = "fuzz"
currency = "CNY"
timezone = "Asia/Shanghai"
starts = "2026-11-11T00:00:00+08:00"
ends = "2026-11-12T00:00:00+08:00"
target = "1000000"

[[stores]]
id = "s1"
target = "100"

[[skus]]
id = "k1"
stock = 10
"#;

fn config() -> Arc<Config> {
    static CFG: OnceLock<Arc<Config>> = OnceLock::new();
    CFG.get_or_init(|| Arc::new(warroom::config::parse_str(SALE, "fuzz.toml", std::path::Path::new(".")).expect("valid config")))
        .clone()
}

fuzz_target!(|data: &[u8]| {
    let engine = Engine::new(config(), Arc::new(ManualClock::new(1_794_330_000_000)));
    let ingest = Ingest::new(engine.clone(), Arc::new(HttpMetrics::default()));
    for ct in [None, Some("application/json")] {
        let before = engine.read(|st, _| st.events_applied);
        match ingest.submit(data, ct) {
            Ok(s) => assert_eq!(engine.read(|st, _| st.events_applied) - before, s.reply.accepted as u64),
            Err(_) => assert_eq!(engine.read(|st, _| st.events_applied), before),
        }
    }
});
