//! Compressed request bodies (docs/api.md, Events, Framing): `gzip` is
//! inflated, `identity` passes, anything else is refused (415).
//!
//! Order systems send big batches compressed. The inflated body is bounded
//! by the same `max_body_bytes` as a plain one, and the bound is enforced
//! while inflating (reading at most one byte past it), so a small "zip
//! bomb" never grows beyond the limit in memory. Concatenated gzip members
//! are one body, as `gzip -c a b` writes them.

use std::borrow::Cow;
use std::io::Read;

use flate2::read::MultiGzDecoder;

/// A body's `Content-Encoding`, of those the server reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Encoding {
    Identity,
    Gzip,
}

/// Why a body's encoding could not be undone.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EncodingError {
    /// 415: not an encoding this server reads.
    #[error("Content-Encoding {0:?} is not supported: send gzip or an uncompressed body")]
    Unsupported(String),
    /// 413: the inflated body is larger than the limit.
    #[error("the body inflates to more than the limit of {0} bytes")]
    TooLarge(usize),
    /// 400: the body is not valid gzip.
    #[error("the body is not valid gzip: {0}")]
    Corrupt(String),
}

impl Encoding {
    /// The encoding named by a `Content-Encoding` header (absent: identity).
    pub fn parse(header: Option<&str>) -> Result<Encoding, EncodingError> {
        let Some(value) = header.map(str::trim) else {
            return Ok(Encoding::Identity);
        };
        if value.is_empty() || value.eq_ignore_ascii_case("identity") {
            Ok(Encoding::Identity)
        } else if value.eq_ignore_ascii_case("gzip") || value.eq_ignore_ascii_case("x-gzip") {
            Ok(Encoding::Gzip)
        } else {
            Err(EncodingError::Unsupported(value.chars().take(64).collect()))
        }
    }

    /// The body as sent, inflated if need be, at most `limit` bytes.
    pub fn decode(self, body: &[u8], limit: usize) -> Result<Cow<'_, [u8]>, EncodingError> {
        match self {
            Encoding::Identity => Ok(Cow::Borrowed(body)),
            Encoding::Gzip => {
                let mut out = Vec::with_capacity(body.len().saturating_mul(4).min(limit));
                let cap = u64::try_from(limit).unwrap_or(u64::MAX).saturating_add(1);
                MultiGzDecoder::new(body)
                    .take(cap)
                    .read_to_end(&mut out)
                    .map_err(|e| EncodingError::Corrupt(e.to_string()))?;
                if out.len() > limit {
                    return Err(EncodingError::TooLarge(limit));
                }
                Ok(Cow::Owned(out))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use std::io::Write;

    use super::*;

    fn gzip(data: &[u8]) -> Vec<u8> {
        let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        enc.write_all(data).expect("write");
        enc.finish().expect("finish")
    }

    #[test]
    fn inflates_within_the_limit_only() {
        let body = gzip(b"hello");
        assert_eq!(
            Encoding::Gzip.decode(&body, 5).expect("fits").as_ref(),
            b"hello"
        );
        assert_eq!(
            Encoding::Gzip.decode(&body, 4),
            Err(EncodingError::TooLarge(4))
        );
        let bomb = gzip(&vec![b' '; 10 << 20]);
        assert!(bomb.len() < 64 << 10);
        assert_eq!(
            Encoding::Gzip.decode(&bomb, 1 << 20),
            Err(EncodingError::TooLarge(1 << 20))
        );
        assert!(matches!(
            Encoding::Gzip.decode(b"not gzip", 100),
            Err(EncodingError::Corrupt(_))
        ));
    }

    #[test]
    fn names_what_it_cannot_read() {
        assert_eq!(Encoding::parse(None), Ok(Encoding::Identity));
        assert_eq!(Encoding::parse(Some("GZIP")), Ok(Encoding::Gzip));
        assert_eq!(
            Encoding::parse(Some("br")),
            Err(EncodingError::Unsupported("br".into()))
        );
        assert!(Encoding::parse(Some("gzip, br")).is_err());
    }
}
