//! Log segments: checksummed records, and the marker that says a segment's
//! format.
//!
//! A record is `len u32 | crc32c u32 | lsn u64 | payload`, little-endian,
//! the CRC over lsn and payload; its payload is a batch of events
//! (`batch`). Format 1 segments are records from the first byte. Format 2
//! segments open with a *marker*: a record of LSN 0 (real LSNs start at 1)
//! whose payload is `WRLG0002`; the records after it are as in format 1.
//! The marker is a record so that a warroom from before it, which knows no
//! marker, skips it as a record its checkpoint covers instead of taking it
//! for damage: going back to that release loses nothing. It costs 24 bytes
//! a segment and nothing per record. A later format that changes the
//! payload says so in its marker, and [`decode_payload`] picks the decoder
//! by the segment's format.
//!
//! Format 3 opens each payload with a **stamp**: the tag `WRTS` and the
//! receive time (epoch ms, `i64` LE) the batch was applied with. Apply
//! reads no clock of its own on replay: it takes the stamp, so the state a
//! log replays to is the state it was when written, to the byte (future
//! timestamps counted as "now" land in the same window; the last-apply
//! time is the same). The stamp is filled in under the engine lock
//! ([`stamp`]), after the payload was encoded outside it
//! ([`encode_payload`]). The tag makes a payload say itself whether it is
//! stamped — a format 1 or 2 batch can never begin with it (its first
//! bytes are an event count and an event kind of 0–2) — so a record
//! decodes the same even where its segment's marker is damaged. Records
//! without a stamp replay at the time of replay, as they always did.
//!
//! Format 4 is format 3 whose batches may hold the events of issue 15:
//! traffic and spend (event kinds 3 and 4) and an order's region and
//! campaign (two flags; `batch` says how). Its records are framed and
//! stamped as format 3's, and every format-3 record decodes as it did. The
//! marker is bumped so that a build of format 3, which knows none of these,
//! refuses the segment by name ("format 4 is newer than this warroom")
//! instead of taking its first traffic record for damage. A new segment
//! always opens at start-up, so a format-3 segment never receives them.

use super::batch::{self, DecodeError};
use super::{FormatError, magic, magic_version, not_newer};
use crate::event::Batch;

/// The format this build writes and the newest it reads.
pub const VERSION: u32 = 4;
/// Bytes before a record's payload.
pub const HEADER: usize = 16;
/// The LSN of a segment's marker record.
pub const MARKER_LSN: u64 = 0;
const TAG: &[u8; 4] = b"WRLG";

/// Appends one framed record to `out` (once per batch, on the log's
/// append path).
#[inline]
pub fn frame(lsn: u64, payload: &[u8], out: &mut Vec<u8>) {
    let mut crc = crc32c::crc32c(&lsn.to_le_bytes());
    crc = crc32c::crc32c_append(crc, payload);
    out.extend_from_slice(&(payload.len() as u32).to_le_bytes());
    out.extend_from_slice(&crc.to_le_bytes());
    out.extend_from_slice(&lsn.to_le_bytes());
    out.extend_from_slice(payload);
}

/// The framed marker that opens a segment of this build's format.
pub fn marker() -> Vec<u8> {
    let mut out = Vec::with_capacity(HEADER + 8);
    frame(MARKER_LSN, &magic(TAG, VERSION), &mut out);
    out
}

/// The format a marker's payload names, if this build reads it.
pub fn marker_version(payload: &[u8]) -> Result<u32, FormatError> {
    let version = magic_version(payload, TAG)
        .filter(|_| payload.len() == 8)
        .ok_or(FormatError::Foreign("log segment marker"))?;
    if version < 2 {
        return Err(FormatError::Decode(format!(
            "a marker naming format {version}"
        )));
    }
    not_newer(version, VERSION)
}

/// The tag that opens a stamped (format 3 and 4) payload.
const STAMP_TAG: &[u8; 4] = b"WRTS";
/// Bytes of the stamp that opens a format-3 or 4 payload: the tag and the time.
pub const STAMP: usize = 12;

/// Encodes `batch` as a payload of this build's format, its stamp's time
/// still zero (filled in by [`stamp`] when the batch is applied).
pub fn encode_payload(batch: &Batch<'_>, out: &mut Vec<u8>) {
    out.extend_from_slice(STAMP_TAG);
    out.extend_from_slice(&[0; 8]);
    batch::encode(batch, out);
}

/// Sets the receive time a payload from [`encode_payload`] was applied with.
#[inline]
pub fn stamp(payload: &mut [u8], now_ms: i64) {
    if let Some(s) = payload.get_mut(STAMP_TAG.len()..STAMP) {
        s.copy_from_slice(&now_ms.to_le_bytes());
    }
}

/// Decodes a record's payload; returns its stamp (`None` for a payload
/// without one, as formats 1 and 2 wrote). The payload says itself whether
/// it is stamped, so `version` only has to be one this build reads.
pub fn decode_payload<'a>(
    version: u32,
    payload: &'a [u8],
    out: &mut Batch<'a>,
) -> Result<Option<i64>, DecodeError> {
    if version > VERSION {
        return Err(DecodeError("no decoder for this log format"));
    }
    match payload.strip_prefix(STAMP_TAG) {
        Some(rest) => {
            let (ms, rest) = rest
                .split_first_chunk::<8>()
                .ok_or(DecodeError("a record shorter than its stamp"))?;
            batch::decode(rest, out)?;
            Ok(Some(i64::from_le_bytes(*ms)))
        }
        None => batch::decode(payload, out).map(|()| None),
    }
}

/// One record as found in a segment.
#[derive(Debug, PartialEq, Eq)]
pub enum Next<'a> {
    Record {
        lsn: u64,
        payload: &'a [u8],
        end: usize,
    },
    End,
    /// Incomplete at the end of the buffer.
    Torn,
    /// A whole record whose checksum fails; `end` is where it ends.
    Bad(&'static str, usize),
}

/// The record at byte `at` of a segment.
pub fn next_record(buf: &[u8], at: usize) -> Next<'_> {
    if at == buf.len() {
        return Next::End;
    }
    if buf.len() - at < HEADER {
        return Next::Torn;
    }
    let word = |i: usize| u32::from_le_bytes([buf[i], buf[i + 1], buf[i + 2], buf[i + 3]]);
    let len = word(at) as usize;
    let crc = word(at + 4);
    let mut l = [0u8; 8];
    l.copy_from_slice(&buf[at + 8..at + 16]);
    let lsn = u64::from_le_bytes(l);
    let Some(end) = (at + HEADER).checked_add(len).filter(|&e| e <= buf.len()) else {
        return Next::Torn;
    };
    let payload = &buf[at + HEADER..end];
    let mut c = crc32c::crc32c(&l);
    c = crc32c::crc32c_append(c, payload);
    if c != crc {
        return Next::Bad("checksum mismatch", end);
    }
    Next::Record { lsn, payload, end }
}

/// Where the next record that verifies starts, after a record at `from`
/// failed (damaged, or cut short); `None` if none follows.
///
/// `prev_lsn` is the LSN of the last whole record before `from` (the
/// segment's first LSN − 1 if none). A record found after `k` bytes of
/// damage can have no LSN above `prev_lsn + k / HEADER + 1` (every record
/// takes at least a header), so only positions whose LSN field falls in
/// that window are checksummed: the scan is one pass over the bytes, and
/// a checksum that happens to match in garbage also needs a fitting LSN.
pub fn resync(buf: &[u8], from: usize, prev_lsn: u64) -> Option<usize> {
    let last = buf.len().checked_sub(HEADER)?;
    (from + 1..=last).find(|&p| {
        let mut l = [0u8; 8];
        l.copy_from_slice(&buf[p + 8..p + HEADER]);
        let lsn = u64::from_le_bytes(l);
        let most = prev_lsn.saturating_add(((p - from) / HEADER) as u64 + 1);
        lsn > prev_lsn
            && lsn <= most
            && matches!(next_record(buf, p), Next::Record { lsn: found, .. } if found != MARKER_LSN)
    })
}

/// How a segment that fails at byte `at` ends, when no record that
/// verifies follows (see [`resync`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tail {
    /// Cut short: the record's header claims more bytes than the file
    /// holds, or the file is zeros to its end from where the record
    /// starts, or from inside it where a disk loses writes (a 512-byte
    /// sector boundary) or for longer than a payload's own trailing zeros
    /// run (a header's worth). That is what a crash or a power cut leaves
    /// of a write that never completed: a file extended before its data
    /// reached the disk reads as zeros.
    Torn,
    /// A whole record whose checksum fails and whose end is not such a
    /// zero fill: damage to bytes that were written, perhaps of an
    /// acknowledged record.
    Damaged,
}

/// Classifies the end of `buf` from a failed record at `at`.
pub fn tail(buf: &[u8], at: usize) -> Tail {
    let Next::Bad(_, end) = next_record(buf, at) else {
        return Tail::Torn;
    };
    // Where the zeros that run to the end of the file start.
    let zeros = buf.iter().rposition(|&b| b != 0).map_or(0, |i| i + 1);
    let zero_filled =
        zeros <= at || (zeros < end && (buf.len() - zeros >= HEADER || zeros % 512 == 0));
    if zero_filled {
        Tail::Torn
    } else {
        Tail::Damaged
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_marker_is_a_record_of_lsn_zero_naming_the_format() {
        let m = marker();
        assert_eq!(m.len(), HEADER + 8);
        let Next::Record { lsn, payload, end } = next_record(&m, 0) else {
            panic!("the marker is a whole record");
        };
        assert_eq!((lsn, end), (MARKER_LSN, m.len()));
        assert_eq!(payload, b"WRLG0004");
        assert_eq!(marker_version(payload), Ok(4));
        assert_eq!(marker_version(b"WRLG0003"), Ok(3));
        assert_eq!(marker_version(b"WRLG0002"), Ok(2));
        let err = marker_version(b"WRLG0005").expect_err("newer");
        assert!(err.is_newer(), "{err}");
        assert_eq!(
            err.to_string(),
            "format 5 is newer than this warroom (reads up to 4); upgrade warroom"
        );
        assert!(marker_version(b"WRLG0001").is_err());
        assert!(marker_version(b"WRLG00031").is_err());
        assert!(marker_version(b"hello").is_err());
    }

    #[test]
    fn format_3_payloads_carry_their_stamp_and_older_ones_none() {
        let mut batch = Batch::default();
        let mut payload = Vec::new();
        encode_payload(&batch, &mut payload);
        stamp(&mut payload, 1_794_330_000_123);
        let got = decode_payload(3, &payload, &mut batch).expect("decodes");
        assert_eq!(got, Some(1_794_330_000_123));
        // The payload says it is stamped, whatever the segment's marker.
        assert_eq!(
            decode_payload(1, &payload, &mut batch),
            Ok(Some(1_794_330_000_123))
        );
        let mut old = Vec::new();
        batch::encode(&Batch::default(), &mut old);
        assert_eq!(decode_payload(2, &old, &mut batch), Ok(None));
        assert_eq!(decode_payload(3, &old, &mut batch), Ok(None));
        assert!(
            decode_payload(3, b"WRTS\x01\x02", &mut batch).is_err(),
            "shorter than a stamp"
        );
        assert_eq!(decode_payload(4, &old, &mut batch), Ok(None));
        assert!(decode_payload(5, &payload, &mut batch).is_err(), "newer");
    }

    #[test]
    fn records_frame_and_fail_where_damaged() {
        let mut buf = Vec::new();
        frame(1, b"abc", &mut buf);
        frame(2, b"defg", &mut buf);
        let Next::Record { lsn: 1, end, .. } = next_record(&buf, 0) else {
            panic!("first record");
        };
        assert!(matches!(
            next_record(&buf, end),
            Next::Record { lsn: 2, .. }
        ));
        assert_eq!(next_record(&buf, buf.len()), Next::End);
        assert_eq!(next_record(&buf[..buf.len() - 1], end), Next::Torn);
        let mut bad = buf.clone();
        bad[end + HEADER] ^= 1;
        assert_eq!(
            next_record(&bad, end),
            Next::Bad("checksum mismatch", buf.len())
        );
    }

    fn records(n: u64) -> (Vec<u8>, Vec<usize>) {
        let mut buf = marker();
        let mut starts = Vec::new();
        for lsn in 1..=n {
            starts.push(buf.len());
            frame(lsn, &[lsn as u8 | 0x80; 40], &mut buf);
        }
        (buf, starts)
    }

    #[test]
    fn resync_finds_the_next_record_that_verifies() {
        let (mut buf, starts) = records(5);
        buf[starts[2] + HEADER + 3] ^= 0x10;
        assert!(matches!(next_record(&buf, starts[2]), Next::Bad(..)));
        assert_eq!(resync(&buf, starts[2], 2), Some(starts[3]));
        // Damage across a header: the scan still lands on record 5.
        let (mut buf, starts) = records(5);
        buf[starts[3]..starts[3] + 20].fill(0xee);
        buf[starts[2] + 1] ^= 1;
        assert_eq!(resync(&buf, starts[2], 2), Some(starts[4]));
        // A record whose LSN is out of reach is not taken.
        assert_eq!(resync(&buf, starts[2], 9), None);
        assert_eq!(resync(&buf[..starts[4] + 10], starts[2], 2), None);
        assert_eq!(resync(b"short", 0, 0), None);
    }

    #[test]
    fn tails_are_torn_when_short_or_zero_filled_else_damaged() {
        let (buf, starts) = records(3);
        let cut = &buf[..buf.len() - 5];
        assert_eq!(tail(cut, starts[2]), Tail::Torn);
        // Zeros from inside the last record to well past it.
        let mut zeroed = buf.clone();
        zeroed[starts[2] + 20..].fill(0);
        zeroed.extend([0u8; 64]);
        assert_eq!(tail(&zeroed, starts[2]), Tail::Torn);
        // Zeros from a record boundary (a header of zeros).
        let mut zeros = buf.clone();
        zeros.extend([0u8; 20]);
        assert_eq!(tail(&zeros, buf.len()), Tail::Torn);
        // One flipped byte in a whole last record: damaged, not torn.
        let mut flipped = buf.clone();
        flipped[starts[2] + HEADER] ^= 1;
        assert_eq!(tail(&flipped, starts[2]), Tail::Damaged);
        // Also when the payload itself ends in a few zeros (a batch often
        // does: an item's flags byte).
        let mut own = marker();
        frame(1, &[7, 7, 7, 7, 0, 0], &mut own);
        own[HEADER + 8 + HEADER] ^= 1;
        assert_eq!(tail(&own, HEADER + 8), Tail::Damaged);
        // Zeros from a sector boundary inside the record: torn.
        let mut long = marker();
        frame(1, &[9u8; 1000], &mut long);
        long[512..].fill(0);
        assert_eq!(tail(&long, HEADER + 8), Tail::Torn);
    }
}
