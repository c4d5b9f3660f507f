//! The key file: `WRKY<version> | lsn u64 | count u64 | crc32c u32 |
//! count × u128`, little-endian, the CRC over the keys.
//!
//! Format 1 is the only one so far; a format above [`VERSION`] is refused
//! as newer. The keys are `event::idempotency_key` hashes: a change to that
//! hash is a change of this format too (old keys would no longer match).

use std::io::{BufWriter, Seek, SeekFrom, Write};

use super::{FormatError, magic, magic_version, not_newer};

/// The format this build writes and the newest it reads.
pub const VERSION: u32 = 1;
const TAG: &[u8; 4] = b"WRKY";
const HEAD: usize = 28;

/// Writes a key file into `out` in one pass (the checksum filled in last)
/// and hands `out` back to be synced.
pub fn write<W: Write + Seek>(out: W, lsn: u64, keys: &[u128]) -> std::io::Result<W> {
    let mut f = BufWriter::with_capacity(1 << 20, out);
    f.write_all(&magic(TAG, VERSION))?;
    f.write_all(&lsn.to_le_bytes())?;
    f.write_all(&(keys.len() as u64).to_le_bytes())?;
    f.write_all(&[0; 4])?;
    let mut crc = 0u32;
    let mut buf = Vec::with_capacity(4096 * 16);
    for chunk in keys.chunks(4096) {
        buf.clear();
        for k in chunk {
            buf.extend_from_slice(&k.to_le_bytes());
        }
        crc = crc32c::crc32c_append(crc, &buf);
        f.write_all(&buf)?;
    }
    let mut out = f.into_inner().map_err(|e| e.into_error())?;
    out.seek(SeekFrom::Start(24))?;
    out.write_all(&crc.to_le_bytes())?;
    Ok(out)
}

/// The keys of a whole key file.
pub fn decode(bytes: &[u8]) -> Result<Vec<u128>, FormatError> {
    let version = magic_version(bytes, TAG).ok_or(FormatError::Foreign("key file"))?;
    not_newer(version, VERSION)?;
    if bytes.len() < HEAD {
        return Err(FormatError::Truncated(format!("{} bytes", bytes.len())));
    }
    let mut w = [0u8; 8];
    w.copy_from_slice(&bytes[16..24]);
    let count = u64::from_le_bytes(w);
    let body = &bytes[HEAD..];
    if Some(body.len() as u64) != count.checked_mul(16) {
        return Err(FormatError::Truncated(format!(
            "{} bytes of keys, {count} keys expected",
            body.len()
        )));
    }
    let mut c = [0u8; 4];
    c.copy_from_slice(&bytes[24..HEAD]);
    if crc32c::crc32c(body) != u32::from_le_bytes(c) {
        return Err(FormatError::Checksum);
    }
    Ok(body
        .chunks_exact(16)
        .map(|b| {
            let mut k = [0u8; 16];
            k.copy_from_slice(b);
            u128::from_le_bytes(k)
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_damage_and_versions() {
        let keys: Vec<u128> = (0..10_000u128)
            .map(|i| (i * 0x9E37_79B9_7F4A_7C15_u128) << 3)
            .collect();
        let bytes = write(std::io::Cursor::new(Vec::new()), 42, &keys)
            .expect("write")
            .into_inner();
        assert!(bytes.starts_with(b"WRKY0001"));
        assert_eq!(decode(&bytes).expect("read"), keys);
        let mut flipped = bytes.clone();
        flipped[HEAD + 5] ^= 1;
        assert_eq!(decode(&flipped), Err(FormatError::Checksum));
        assert!(matches!(
            decode(&bytes[..bytes.len() - 3]),
            Err(FormatError::Truncated(_))
        ));
        let mut newer = bytes.clone();
        newer[..8].copy_from_slice(b"WRKY0002");
        assert!(decode(&newer).is_err_and(|e| e.is_newer()));
        assert_eq!(decode(b"WRCP0002"), Err(FormatError::Foreign("key file")));
        let empty = write(std::io::Cursor::new(Vec::new()), 43, &[])
            .expect("write empty")
            .into_inner();
        assert_eq!(decode(&empty).expect("read empty"), Vec::<u128>::new());
    }
}
