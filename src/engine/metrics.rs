//! The engine's figures on `/metrics`: events applied and the sizes of the
//! tables that grow with a sale.

use super::Engine;
use crate::metrics::{Exposition, Kind, Report};

impl Report for Engine {
    fn report(&self, out: &mut Exposition) {
        let (applied, keys, stores, skus) =
            self.read(|st, _| (st.events_applied, st.keys(), st.stores.len(), st.skus.len()));
        out.one(
            "warroom_events_applied_total",
            Kind::Counter,
            "Events applied to the engine since the process started.",
            applied,
        );
        out.one(
            "warroom_idempotency_keys",
            Kind::Gauge,
            "Idempotency keys held in memory.",
            keys,
        );
        out.one(
            "warroom_stores",
            Kind::Gauge,
            "Stores known to the engine.",
            stores,
        );
        out.one(
            "warroom_skus",
            Kind::Gauge,
            "SKUs known to the engine.",
            skus,
        );
    }
}
