//! Caps on the entities events create on first sight (docs/api.md, Limits).
//!
//! A store, channel or SKU an event names that the config does not list is
//! created on first sight; each costs memory for the rest of the sale and a
//! row on every ranking. An ingest client must not be able to grow that
//! without limit, so each kind has a cap on how many *unlisted* entities the
//! sale may hold (the config's own catalog never counts and is never
//! refused), and one request may create at most so many of all kinds
//! together. One cap per [`EntityKind`]. China's 34 province-level
//! divisions are always known regions: only other region strings count
//! against the region cap.

use serde::{Deserialize, Serialize};

/// The kinds of entity events create on first sight.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum EntityKind {
    Channel,
    Store,
    Sku,
    Region,
    Campaign,
}

impl EntityKind {
    pub const ALL: [EntityKind; 5] = [
        EntityKind::Channel,
        EntityKind::Store,
        EntityKind::Sku,
        EntityKind::Region,
        EntityKind::Campaign,
    ];

    /// Its slot in per-kind arrays.
    pub fn index(self) -> usize {
        self as usize
    }

    /// How the kind is named in errors: "store", "channel", "SKU".
    pub fn noun(self) -> &'static str {
        match self {
            EntityKind::Channel => "channel",
            EntityKind::Store => "store",
            EntityKind::Sku => "SKU",
            EntityKind::Region => "region",
            EntityKind::Campaign => "campaign",
        }
    }

    /// Its config key, and the key's default and upper bound.
    pub fn key(self) -> &'static str {
        match self {
            EntityKind::Channel => "server.max_unlisted_channels",
            EntityKind::Store => "server.max_unlisted_stores",
            EntityKind::Sku => "server.max_unlisted_skus",
            EntityKind::Region => "server.max_unlisted_regions",
            EntityKind::Campaign => "server.max_unlisted_campaigns",
        }
    }

    fn default_cap(self) -> usize {
        match self {
            EntityKind::Channel => 1_000,
            EntityKind::Store => 50_000,
            EntityKind::Sku => 1_000_000,
            EntityKind::Region => 1_000,
            EntityKind::Campaign => 10_000,
        }
    }

    /// The largest value the key accepts.
    pub fn max_cap(self) -> usize {
        match self {
            EntityKind::Channel => 100_000,
            EntityKind::Store => 10_000_000,
            EntityKind::Sku => 100_000_000,
            EntityKind::Region => 100_000,
            EntityKind::Campaign => 1_000_000,
        }
    }
}

/// The config key of the per-request cap, its default and bounds.
pub const PER_REQUEST_KEY: &str = "server.max_unlisted_per_request";
pub const PER_REQUEST_MAX: usize = 10_000_000;

/// The caps themselves: unlisted entities per kind, and new ones (all
/// kinds) per request.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct EntityCaps {
    /// By `EntityKind::index`.
    pub unlisted: [usize; 5],
    pub per_request: usize,
}

impl Default for EntityCaps {
    fn default() -> EntityCaps {
        EntityCaps {
            unlisted: EntityKind::ALL.map(EntityKind::default_cap),
            per_request: 10_000,
        }
    }
}

impl EntityCaps {
    pub fn unlisted(&self, kind: EntityKind) -> usize {
        self.unlisted[kind.index()]
    }
}
