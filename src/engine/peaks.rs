//! Each channel's and store's busiest second (orders in one second), for
//! the sale's shape (docs/api.md, Shape). The sale's own is
//! `State::peak_second`. The count is read back from the scope's
//! per-second window, which the order has just been added to, so tracking
//! costs a compare per scope and order.

/// `(epoch second, orders)` per channel and per store, by index; `(0, 0)`
/// until the scope's first order.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Peaks {
    pub channels: Vec<(i64, u64)>,
    pub stores: Vec<(i64, u64)>,
}

/// Keeps `(sec, orders)` in `rows[i]` when it beats what is there.
#[inline]
pub(super) fn offer(rows: &mut Vec<(i64, u64)>, i: usize, sec: i64, orders: u64) {
    if rows.len() <= i {
        rows.resize(i + 1, (0, 0));
    }
    if orders > rows[i].1 {
        rows[i] = (sec, orders);
    }
}

impl Peaks {
    /// A channel's peak, `None` before its first order.
    pub fn channel(&self, i: usize) -> Option<(i64, u64)> {
        self.channels.get(i).copied().filter(|p| p.1 > 0)
    }

    pub fn store(&self, i: usize) -> Option<(i64, u64)> {
        self.stores.get(i).copied().filter(|p| p.1 > 0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_first_of_equal_peaks_is_kept() {
        let mut p = Peaks::default();
        offer(&mut p.channels, 2, 100, 3);
        offer(&mut p.channels, 2, 101, 3);
        offer(&mut p.channels, 2, 102, 2);
        assert_eq!(p.channel(2), Some((100, 3)));
        assert_eq!(p.channel(0), None);
        assert_eq!(p.channel(9), None);
    }
}
