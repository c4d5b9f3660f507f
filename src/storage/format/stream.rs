//! `stream.json`: in cluster mode, the stream a data directory's
//! checkpoints follow. A checkpoint's number is then a stream sequence, and
//! a sequence means something only in the stream that gave it: a stream
//! deleted and created again under the same name starts over at 1 with
//! other batches. So the directory records the stream's name and creation
//! time, and a start against any other stream is refused.

use super::FormatError;

/// The version this build writes (and the newest it reads).
pub const VERSION: u32 = 1;

/// The stream a directory follows.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct StreamRecord {
    pub version: u32,
    /// The JetStream stream's name.
    pub stream: String,
    /// When the server created it, nanoseconds since the epoch.
    pub created_ns: i128,
}

impl StreamRecord {
    pub fn new(stream: &str, created_ns: i128) -> StreamRecord {
        StreamRecord {
            version: VERSION,
            stream: stream.to_string(),
            created_ns,
        }
    }

    pub fn encode(&self) -> Result<Vec<u8>, FormatError> {
        let mut out =
            serde_json::to_vec_pretty(self).map_err(|e| FormatError::Encode(e.to_string()))?;
        out.push(b'\n');
        Ok(out)
    }

    pub fn decode(bytes: &[u8]) -> Result<StreamRecord, FormatError> {
        #[derive(serde::Deserialize)]
        struct Version {
            version: u32,
        }
        let v: Version =
            serde_json::from_slice(bytes).map_err(|e| FormatError::Decode(e.to_string()))?;
        if v.version > VERSION {
            return Err(FormatError::Newer {
                found: v.version,
                reads: VERSION,
            });
        }
        serde_json::from_slice(bytes).map_err(|e| FormatError::Decode(e.to_string()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_and_refuses_newer() {
        let r = StreamRecord::new("WARROOM_D11", 1_700_000_000_123_456_789);
        let bytes = r.encode().expect("encode");
        assert_eq!(StreamRecord::decode(&bytes).expect("decode"), r);
        let newer = String::from_utf8(bytes)
            .expect("utf8")
            .replace("\"version\": 1", "\"version\": 2");
        assert!(StreamRecord::decode(newer.as_bytes()).is_err_and(|e| e.is_newer()));
    }
}
