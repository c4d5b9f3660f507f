//! `stream.json` (cluster mode): the stream this directory's checkpoints
//! follow (`format::stream` says why it is kept).

use std::path::Path;

use super::format::FormatError;
use super::format::stream::StreamRecord;
use super::sale_file::replace;

pub const STREAM_FILE: &str = "stream.json";

/// Records that the directory follows `stream`, created at `created_ns`.
pub fn write(dir: &Path, stream: &str, created_ns: i128) -> std::io::Result<()> {
    let bytes = StreamRecord::new(stream, created_ns)
        .encode()
        .map_err(std::io::Error::other)?;
    replace(dir, STREAM_FILE, &bytes)
}

/// The stream the directory follows; `None` for a single node's directory.
pub fn read(dir: &Path) -> Result<Option<StreamRecord>, FormatError> {
    match std::fs::read(dir.join(STREAM_FILE)) {
        Ok(bytes) => StreamRecord::decode(&bytes).map(Some),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(FormatError::Unreadable(e.to_string())),
    }
}
