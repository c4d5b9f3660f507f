//! Alert deliveries on `/metrics`, by hook and result; in cluster mode
//! also the alert lease: whether this node holds it, how often the holder
//! changed, and what is still owed to the hooks.

use super::Alerts;
use crate::metrics::{Exposition, Kind, Report};

impl Report for Alerts {
    fn report(&self, out: &mut Exposition) {
        let name = "warroom_alert_deliveries_total";
        out.family(
            name,
            Kind::Counter,
            "Alert delivery attempts, by hook and result.",
        );
        for (hook, result, n) in self.delivery_counts() {
            let result = result.replace(' ', "_");
            out.labelled(name, &[("hook", &hook), ("result", &result)], n);
        }
        let Some(lease) = self.lease() else { return };
        out.one(
            "warroom_alert_lease_held",
            Kind::Gauge,
            "1 while this node holds the alert lease (and sends chat alerts).",
            u8::from(lease.is_mine()),
        );
        out.one(
            "warroom_alert_lease_changes_total",
            Kind::Counter,
            "Times this node saw the alert lease change hands.",
            lease.changes(),
        );
    }
}
