//! The checkpoint file: `WRCP<version> | lsn u64 | len u64 | crc32c u32 |
//! body`, little-endian, the CRC over the body.
//!
//! The version is the magic's four digits. Format 2's body is
//! `postcard(StateV2)` (`checkpoint_v2`); format 1 held the idempotency
//! keys inside and was never released in a form this build can read, so it
//! is refused as such. A format above [`VERSION`] is refused as newer. When
//! format 3 comes, `decode` reads a 2 and converts it (2 → 3) so callers
//! only ever see the newest body.

use super::checkpoint_v2::StateV2;
use super::{FormatError, magic, magic_version, not_newer};
use crate::engine::State;

/// The format this build writes and the newest it reads.
pub const VERSION: u32 = 2;
const TAG: &[u8; 4] = b"WRCP";
const HEAD: usize = 28;

/// One checkpoint's contents: the state as of log record `lsn`.
#[derive(Debug, Clone, PartialEq)]
pub struct Checkpoint {
    pub lsn: u64,
    pub body: StateV2,
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

    /// The whole file. The body is serialised straight after room for the
    /// header (one buffer, no copy of a body that can be large).
    pub fn encode(&self) -> Result<Vec<u8>, FormatError> {
        let mut out = postcard::to_extend(&self.body, vec![0u8; HEAD])
            .map_err(|e| FormatError::Encode(e.to_string()))?;
        let len = (out.len() - HEAD) as u64;
        let crc = crc32c::crc32c(&out[HEAD..]);
        out[..8].copy_from_slice(&magic(TAG, VERSION));
        out[8..16].copy_from_slice(&self.lsn.to_le_bytes());
        out[16..24].copy_from_slice(&len.to_le_bytes());
        out[24..HEAD].copy_from_slice(&crc.to_le_bytes());
        Ok(out)
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
        // Format 2 is the newest: its body as it is.
        let body: StateV2 =
            postcard::from_bytes(body).map_err(|e| FormatError::Decode(e.to_string()))?;
        Ok(Checkpoint { lsn, body })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_are_read_refused_or_named_newer() {
        let cp = Checkpoint::of(7, State::default());
        let bytes = cp.encode().expect("encode");
        assert!(bytes.starts_with(b"WRCP0002"));
        assert_eq!(Checkpoint::decode(&bytes), Ok(cp));

        let mut newer = bytes.clone();
        newer[..8].copy_from_slice(b"WRCP0003");
        let err = Checkpoint::decode(&newer).expect_err("newer");
        assert!(err.is_newer(), "{err}");
        assert_eq!(
            err.to_string(),
            "format 3 is newer than this warroom (reads up to 2); upgrade warroom"
        );
        let mut old = bytes.clone();
        old[..8].copy_from_slice(b"WRCP0001");
        let err = Checkpoint::decode(&old).expect_err("format 1");
        assert!(!err.is_newer());
        assert!(err.to_string().contains("format 1, from an older warroom"));
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

    /// The checkpoints the first release wrote (the upgrade fixture) encode
    /// again to the very same bytes, but for the order of the buyer hash
    /// maps: `checkpoint_v2` mirrors that release's layout exactly.
    #[test]
    fn first_release_checkpoints_encode_again_byte_for_byte() {
        let dir =
            std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/upgrade-v1/data");
        for lsn in [7, 14] {
            let bytes =
                std::fs::read(dir.join(format!("checkpoint-{lsn:020}.bin"))).expect("fixture");
            let cp = Checkpoint::decode(&bytes).expect("decode");
            assert_eq!(cp.lsn, lsn);
            let again = cp.encode().expect("encode");
            assert_eq!(again.len(), bytes.len());
            let b = &cp.body;
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
            assert_eq!(Checkpoint::decode(&again).expect("decode again"), cp);
        }
    }
}
