//! The checkpoint file: `WRCP<version> | lsn u64 | len u64 | crc32c u32 |
//! body`, little-endian, the CRC over the body.
//!
//! The version is the magic's four digits. Format 4's body is
//! `postcard(StateV4)` (`checkpoint_v4`: format 3 with traffic, spend,
//! regions and campaigns); format 3's, `postcard(StateV3)`
//! (`checkpoint_v3`: timelines by the chunks seen), and format 2's,
//! `postcard(StateV2)` (`checkpoint_v2`: timelines minute by minute), are
//! read and converted to 4 (`state_v4`, their new parts empty), so
//! callers only ever see the newest body. Format 1 held the idempotency keys inside and was
//! never released in a form this build can read, so it is refused as such.
//! A format above [`VERSION`] is refused as newer.

use super::checkpoint_v2::StateV2;
use super::checkpoint_v3::StateV3;
use super::checkpoint_v4::StateV4;
use super::{FormatError, magic, magic_version, not_newer};
use crate::engine::State;

/// The format this build writes and the newest it reads.
pub const VERSION: u32 = 4;
const TAG: &[u8; 4] = b"WRCP";
const HEAD: usize = 28;

/// One checkpoint's contents: the state as of log record `lsn`.
#[derive(Debug, Clone, PartialEq)]
pub struct Checkpoint {
    pub lsn: u64,
    pub body: StateV4,
}

impl Checkpoint {
    /// A checkpoint of `state` (a copy taken for it: moved, not cloned).
    pub fn of(lsn: u64, state: State) -> Checkpoint {
        Checkpoint {
            lsn,
            body: state.into(),
        }
    }

    /// The engine state it holds (keys and id indexes not included).
    pub fn into_state(self) -> Result<State, FormatError> {
        State::try_from(self.body)
    }

    /// Idempotency keys its key files must add up to.
    pub fn keys(&self) -> u64 {
        self.body.checkpoint_keys
    }

    /// Records how many keys its key files hold (after `--repair` lost some).
    pub fn set_keys(&mut self, keys: u64) {
        self.body.checkpoint_keys = keys;
    }

    /// The whole file, in format [`VERSION`].
    pub fn encode(&self) -> Result<Vec<u8>, FormatError> {
        frame(VERSION, self.lsn, &self.body)
    }

    /// Reads a whole file, of any format this build reads.
    pub fn decode(bytes: &[u8]) -> Result<Checkpoint, FormatError> {
        let version = magic_version(bytes, TAG).ok_or(FormatError::Foreign("checkpoint"))?;
        if version == 1 {
            return Err(FormatError::Retired {
                found: 1,
                why: "keys inside",
            });
        }
        not_newer(version, VERSION)?;
        if bytes.len() < HEAD {
            return Err(FormatError::Truncated(format!("{} bytes", bytes.len())));
        }
        let word = |at: usize| {
            let mut a = [0u8; 8];
            a.copy_from_slice(&bytes[at..at + 8]);
            u64::from_le_bytes(a)
        };
        let (lsn, len) = (word(8), word(16));
        let mut c = [0u8; 4];
        c.copy_from_slice(&bytes[24..HEAD]);
        let body = usize::try_from(len)
            .ok()
            .and_then(|len| bytes.get(HEAD..HEAD.checked_add(len)?))
            .ok_or_else(|| {
                FormatError::Truncated(format!("{} bytes of {len}", bytes.len() - HEAD))
            })?;
        if crc32c::crc32c(body) != u32::from_le_bytes(c) {
            return Err(FormatError::Checksum);
        }
        let decode = |e: postcard::Error| FormatError::Decode(e.to_string());
        let body = match version {
            2 => State::try_from(postcard::from_bytes::<StateV2>(body).map_err(decode)?)
                .map(StateV4::from)?,
            3 => StateV4::try_from(postcard::from_bytes::<StateV3>(body).map_err(decode)?)?,
            4 => postcard::from_bytes::<StateV4>(body).map_err(decode)?,
            other => {
                return Err(FormatError::Unreadable(format!(
                    "format {other} was never written by a warroom"
                )));
            }
        };
        Ok(Checkpoint { lsn, body })
    }
}

/// A file of `version` holding `body`. The body is serialised straight
/// after room for the header (one buffer, no copy of a body that can be
/// large).
pub(super) fn frame<B: serde::Serialize>(
    version: u32,
    lsn: u64,
    body: &B,
) -> Result<Vec<u8>, FormatError> {
    let mut out = postcard::to_extend(body, vec![0u8; HEAD])
        .map_err(|e| FormatError::Encode(e.to_string()))?;
    let len = (out.len() - HEAD) as u64;
    let crc = crc32c::crc32c(&out[HEAD..]);
    out[..8].copy_from_slice(&magic(TAG, version));
    out[8..16].copy_from_slice(&lsn.to_le_bytes());
    out[16..24].copy_from_slice(&len.to_le_bytes());
    out[24..HEAD].copy_from_slice(&crc.to_le_bytes());
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::{Scope, Wv};

    /// A state whose sale timeline has minutes on day 1 and day 30.
    fn sold_twice() -> State {
        let mut state = State::default();
        let wv = Wv {
            gmv: 990,
            orders: 1,
            units: 1,
        };
        state.sale.timeline.add(5, wv);
        state.sale.timeline.add(42_000, wv);
        state.events_applied = 2;
        state
    }

    #[test]
    fn versions_are_read_refused_or_named_newer() {
        let cp = Checkpoint::of(7, sold_twice());
        let bytes = cp.encode().expect("encode");
        assert!(bytes.starts_with(b"WRCP0004"));
        assert_eq!(Checkpoint::decode(&bytes), Ok(cp.clone()));

        // Format 3 (the chunks seen) reads as the same.
        let v3 = frame(3, 7, &StateV3::from(sold_twice())).expect("format 3");
        assert!(v3.starts_with(b"WRCP0003"));
        assert_eq!(Checkpoint::decode(&v3), Ok(cp.clone()));

        // Format 2 (every minute up to the last one) reads as the same.
        let v2 = frame(2, 7, &StateV2::from(sold_twice())).expect("format 2");
        assert!(v2.starts_with(b"WRCP0002"));
        assert!(v2.len() > 42_000 * 3, "format 2 is dense: {}", v2.len());
        assert_eq!(Checkpoint::decode(&v2), Ok(cp));

        let mut newer = bytes.clone();
        newer[..8].copy_from_slice(b"WRCP0005");
        let err = Checkpoint::decode(&newer).expect_err("newer");
        assert!(err.is_newer(), "{err}");
        assert_eq!(
            err.to_string(),
            "format 5 is newer than this warroom (reads up to 4); upgrade warroom"
        );
        let mut old = bytes.clone();
        old[..8].copy_from_slice(b"WRCP0001");
        let err = Checkpoint::decode(&old).expect_err("format 1");
        assert!(!err.is_newer());
        assert!(err.to_string().contains("format 1, from an older warroom"));
        let mut zero = bytes.clone();
        zero[..8].copy_from_slice(b"WRCP0000");
        let err = Checkpoint::decode(&zero).expect_err("format 0");
        assert!(!err.is_newer());
        assert!(
            err.to_string().contains("format 0 was never written"),
            "{err}"
        );
        assert_eq!(
            Checkpoint::decode(b"PK\x03\x04 a zip"),
            Err(FormatError::Foreign("checkpoint"))
        );

        let mut flipped = bytes.clone();
        let last = flipped.len() - 1;
        flipped[last] ^= 1;
        assert_eq!(Checkpoint::decode(&flipped), Err(FormatError::Checksum));
        assert!(matches!(
            Checkpoint::decode(&bytes[..bytes.len() - 1]),
            Err(FormatError::Truncated(_))
        ));
        assert!(matches!(
            Checkpoint::decode(&bytes[..12]),
            Err(FormatError::Truncated(_))
        ));
    }

    /// Formats 3 and 4 hold the chunks seen: two minutes a month apart
    /// cost two chunks, not the month; and they read back to the same
    /// timeline.
    #[test]
    fn format_4_timelines_are_bounded_by_the_chunks_seen() {
        let state = sold_twice();
        let want = state.sale.timeline.clone();
        let bytes = Checkpoint::of(1, state).encode().expect("encode");
        // A month minute by minute would be hundreds of kilobytes; the
        // rest is fixed (the empty periods and the peaks add ~40 bytes).
        assert!(bytes.len() < 2_100, "{} bytes", bytes.len());
        let back = Checkpoint::decode(&bytes)
            .and_then(Checkpoint::into_state)
            .expect("decode");
        assert_eq!(back.sale.timeline, want);
        assert_eq!(back.sale.timeline.end(), 42_001);
    }

    /// A timeline's chunks are checked on read, and the error names the
    /// scope (a checksum only proves the bytes are what was written).
    #[test]
    fn a_bad_timeline_is_refused_by_scope() {
        let mut state = sold_twice();
        let mut store = crate::engine::Store {
            id: "s7".into(),
            name: "s7".into(),
            channel: 0,
            target: None,
            profit_target: None,
            scope: Scope::default(),
        };
        store.scope.timeline = state.sale.timeline.clone();
        state.channels.push(crate::engine::Channel {
            id: "c".into(),
            name: "c".into(),
            target: None,
            profit_target: None,
            scope: Scope::default(),
        });
        state.stores.push(store);
        let mut cp = Checkpoint::of(1, state);
        cp.body.stores[0].scope.timeline.chunks.swap(0, 1);
        let err = Checkpoint::decode(&cp.encode().expect("encode"))
            .and_then(Checkpoint::into_state)
            .expect_err("out of order");
        assert_eq!(
            err.to_string(),
            "cannot decode: store s7's timeline: chunk 0 comes after chunk 1312 (chunks must rise)"
        );
        cp.body.stores[0].scope.timeline.chunks.swap(0, 1);
        cp.body.sale.timeline.end = 100;
        let err = cp.clone().into_state().expect_err("end before a chunk");
        assert!(
            err.to_string()
                .contains("the sale's timeline: ends at minute 100"),
            "{err}"
        );
    }

    /// The checkpoints the first release wrote (the upgrade fixture) encode
    /// again as format 2 to the very same bytes, but for the order of the
    /// buyer hash maps: `checkpoint_v2` mirrors that release's layout
    /// exactly. And they read as format 4 to the same state.
    #[test]
    fn first_release_checkpoints_encode_again_byte_for_byte() {
        let dir =
            std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/upgrade-v1/data");
        for lsn in [7, 14] {
            let bytes =
                std::fs::read(dir.join(format!("checkpoint-{lsn:020}.bin"))).expect("fixture");
            let b: StateV2 = postcard::from_bytes(&bytes[HEAD..]).expect("format 2 body");
            let again = frame(2, lsn, &b).expect("encode");
            assert_eq!(again.len(), bytes.len());
            let rows = postcard::to_stdvec(&(&b.sale, &b.channels, &b.stores, &b.skus))
                .expect("rows")
                .len();
            let maps = postcard::to_stdvec(&(
                &b.buyers,
                &b.buyer_info,
                &b.channel_buyers,
                &b.store_buyers,
            ))
            .expect("maps")
            .len();
            let (maps_at, rest_at) = (HEAD + rows, HEAD + rows + maps);
            assert_eq!(again[..24], bytes[..24], "magic, lsn, length");
            assert_eq!(again[HEAD..maps_at], bytes[HEAD..maps_at], "rows");
            assert_eq!(
                again[rest_at..],
                bytes[rest_at..],
                "the fields after the buyers"
            );
            let cp = Checkpoint::decode(&bytes).expect("decode");
            assert_eq!(cp.lsn, lsn);
            assert_eq!(Checkpoint::decode(&again).expect("decode again"), cp);
            let v4 = cp.encode().expect("as format 4");
            assert_eq!(Checkpoint::decode(&v4).expect("format 4"), cp);
        }
    }
}
