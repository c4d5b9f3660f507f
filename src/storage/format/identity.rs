//! `identity.json`: which sale a data directory belongs to, fixed when the
//! directory is created — the sale's name, currency and start, and a
//! random id made then — so a different sale never replays it by mistake.
//!
//! Format 1 (written): `{"version": 1, "id": "<32 hex digits>", "sale":
//! {"name": …, "currency": {"code": …, "exponent": …}, "starts_ms": …}}`.
//! It is a file of its own rather than a part of `sale.json`: `sale.json`
//! follows the config on every start (targets, catalog, end), the identity
//! does not; and an older warroom, which knows nothing of it, leaves it
//! alone and still reads its `sale.json`.

use serde::{Deserialize, Serialize};

use super::sale::CurrencyV2;
use super::{FormatError, not_newer};
use crate::storage::identity::{DataDirId, DataDirIdentity, SaleIdentity};

/// The format this build writes and the newest it reads.
pub const VERSION: u32 = 1;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct IdentityV1 {
    version: u32,
    /// 128 bits, lower-case hex.
    id: String,
    sale: SaleIdentityV1,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct SaleIdentityV1 {
    name: String,
    currency: CurrencyV2,
    /// Epoch milliseconds.
    starts_ms: i64,
}

/// Only the version, to pick the reader.
#[derive(Deserialize)]
struct Probe {
    version: Option<u32>,
}

pub fn encode(identity: &DataDirIdentity) -> Result<Vec<u8>, FormatError> {
    let s = &identity.sale;
    let v1 = IdentityV1 {
        version: VERSION,
        id: identity.id.to_string(),
        sale: SaleIdentityV1 {
            name: s.name.clone(),
            currency: CurrencyV2 {
                code: s.currency.code.clone(),
                exponent: s.currency.exponent,
            },
            starts_ms: s.starts_ms,
        },
    };
    serde_json::to_vec_pretty(&v1).map_err(|e| FormatError::Encode(e.to_string()))
}

pub fn decode(bytes: &[u8]) -> Result<DataDirIdentity, FormatError> {
    let bad = |e: serde_json::Error| FormatError::Decode(e.to_string());
    let probe: Probe = serde_json::from_slice(bytes).map_err(bad)?;
    let Some(version) = probe.version else {
        return Err(FormatError::Foreign("identity file (no version)"));
    };
    not_newer(version, VERSION)?;
    let v1: IdentityV1 = serde_json::from_slice(bytes).map_err(bad)?;
    let id = v1
        .id
        .parse::<DataDirId>()
        .map_err(|()| FormatError::Decode(format!("id {:?}: not 32 hex digits", v1.id)))?;
    Ok(DataDirIdentity {
        id,
        sale: SaleIdentity {
            name: v1.sale.name,
            currency: crate::money::Currency {
                code: v1.sale.currency.code,
                exponent: v1.sale.currency.exponent,
            },
            starts_ms: v1.sale.starts_ms,
        },
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::money::Currency;

    fn identity() -> DataDirIdentity {
        DataDirIdentity {
            id: DataDirId(0x0123_4567_89ab_cdef_0011_2233_4455_6677),
            sale: SaleIdentity {
                name: "双11 2026".into(),
                currency: Currency {
                    code: "CNY".into(),
                    exponent: 2,
                },
                starts_ms: 1_794_326_400_000,
            },
        }
    }

    #[test]
    fn round_trips_and_refuses_what_it_cannot_read() {
        let bytes = encode(&identity()).expect("encode");
        let text = String::from_utf8(bytes.clone()).expect("utf-8");
        assert!(text.contains(r#""version": 1"#), "{text}");
        assert!(
            text.contains(r#""id": "0123456789abcdef0011223344556677""#),
            "{text}"
        );
        assert_eq!(decode(&bytes).expect("decode"), identity());

        let newer = text.replace(r#""version": 1"#, r#""version": 2"#);
        assert!(decode(newer.as_bytes()).expect_err("newer").is_newer());
        let bad_id = text.replace("0123456789abcdef", "not-hex-at-all!!");
        assert!(decode(bad_id.as_bytes()).is_err());
        assert!(decode(b"{}").is_err());
        assert!(decode(b"not json").is_err());
    }
}
