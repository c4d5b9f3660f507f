//! Alertmanager's webhook format (version "4"), for anything that reads it:
//! one entry per alert with labels, annotations, start and end times and a
//! stable fingerprint; ten requests a second. Receivers of this format
//! answer with HTTP statuses only, which `classify` reads for every service.

use std::time::Duration;

use serde_json::{Value, json};

use super::{Outgoing, Request};

pub(super) const LIMITS: &[(usize, Duration)] = &[(10, Duration::from_secs(1))];

/// Alertmanager's "no end yet".
const NO_END: &str = "0001-01-01T00:00:00Z";

fn rfc3339_ms(ms: i64) -> String {
    chrono::DateTime::from_timestamp_millis(ms)
        .map(|t| t.to_rfc3339_opts(chrono::SecondsFormat::Millis, true))
        .unwrap_or_default()
}

pub(super) fn request(r: &Request) -> Outgoing {
    let (sale, public_url) = (r.sale, r.public_url.unwrap_or_default());
    let firing = r.batch.iter().any(|m| !m.resolved());
    let status = |resolved: bool| if resolved { "resolved" } else { "firing" };
    let alerts: Vec<Value> = r
        .batch
        .iter()
        .map(|m| {
            let a = &m.record;
            json!({
                "status": status(m.resolved()),
                "labels": {
                    "alertname": a.rule, "rule": a.rule, "scope": a.scope,
                    "severity": a.severity, "sale": sale, "source": "warroom",
                },
                "annotations": { "summary": a.title, "description": a.summary },
                "startsAt": rfc3339_ms(a.fired_at_ms),
                "endsAt": if m.resolved() { rfc3339_ms(r.now_ms) } else { NO_END.to_string() },
                "generatorURL": public_url,
                "fingerprint": format!("{:016x}", xxhash_rust::xxh3::xxh3_64(a.key.as_bytes())),
            })
        })
        .collect();
    let body = json!({
        "version": "4",
        "groupKey": format!("{{}}:{{sale=\"{sale}\"}}"),
        "truncatedAlerts": 0,
        "status": status(!firing),
        "receiver": r.hook.name,
        "groupLabels": { "sale": sale },
        "commonLabels": { "sale": sale, "source": "warroom" },
        "commonAnnotations": {},
        "externalURL": public_url,
        "alerts": alerts,
    });
    r.post(body)
}

#[cfg(test)]
mod tests {
    use super::super::fixtures::*;

    #[test]
    fn a_resolved_alert_in_webhook_format() {
        let resolve = batch(NoticeKind::Resolve, Rule::LowStock);
        let hook = hook(HookKind::Alertmanager, None);
        let now = 1_700_000_000_000;
        let a = payload(&hook, Lang::En, Some("http://wall/"), "D11", &resolve, now);
        assert_eq!(a.body["version"], "4");
        assert_eq!(a.body["status"], "resolved");
        let alert = &a.body["alerts"][0];
        assert_eq!(alert["labels"]["alertname"], "low_stock");
        assert_eq!(alert["labels"]["scope"], "store:s1");
        assert_eq!(alert["labels"]["severity"], "info");
        assert_eq!(alert["startsAt"], "2026-11-10T16:10:00.000Z");
        assert_eq!(alert["endsAt"], "2023-11-14T22:13:20.000Z");
        assert_eq!(alert["fingerprint"].as_str().map(str::len), Some(16));
        assert!(a.body["groupKey"].is_string());

        let fire = batch(NoticeKind::Fire, Rule::LowStock);
        let f = payload(&hook, Lang::En, None, "D11", &fire, now);
        assert_eq!(f.body["status"], "firing");
        assert_eq!(f.body["alerts"][0]["endsAt"], "0001-01-01T00:00:00Z");
    }
}
