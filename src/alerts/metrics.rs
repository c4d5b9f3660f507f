//! Alert deliveries on `/metrics`, by hook and result.

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
    }
}
