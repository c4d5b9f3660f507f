//! What a screen's connection becomes once hyper hands it over after the
//! `101`: the plain TCP stream again, moved onto the runtime the screen's
//! task runs on, with a bounded send buffer.
//!
//! Why take it back from hyper's `Upgraded`: two settings need the socket
//! itself. **The send buffer.** Linux grows a socket's send buffer up to
//! `net.ipv4.tcp_wmem` (4 MiB by default) for a reader that is slow but
//! steady, so a lagging screen had seconds of old frames queued in the
//! kernel, each shown in turn, and the server never saw it fall behind.
//! Bounded to [`SEND_BUFFER`] (the kernel doubles it), a slow screen's send
//! waits after a few frames; the hub then sends it one catch-up frame with
//! the newest state (docs/api.md, Live frames, "Sequence and catch-up"),
//! and 20,000 screens cannot hold gigabytes of kernel memory. **The
//! reactor.** The stream was registered with the main runtime's I/O driver
//! when it was accepted; re-registered here, on the screens runtime, its
//! readiness events no longer pass through the runtime ingest runs on
//! (docs/scaling.md, Ingest first).
//!
//! Every connection `server.rs` serves is a `TcpStream`, so the other
//! branch (any other transport, as hyper gave it) is only a fallback.

use std::io;

use hyper::upgrade::Upgraded;
use hyper_util::rt::TokioIo;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::TcpStream;

/// A screen connection's send buffer, as asked of the kernel (which
/// doubles it for its bookkeeping): a few compressed ticks, half a
/// snapshot. A frame larger than it is still sent, in pieces.
pub const SEND_BUFFER: usize = 16 * 1024;

/// A byte stream a screen's WebSocket runs over.
pub trait ScreenIo: AsyncRead + AsyncWrite + Send + Unpin {}
impl<T: AsyncRead + AsyncWrite + Send + Unpin> ScreenIo for T {}

/// The connection hyper upgraded, and the bytes it had already read past
/// the handshake (a client may send its first frame at once).
pub struct Taken {
    pub io: Box<dyn ScreenIo>,
    pub read: Vec<u8>,
}

/// Takes the TCP stream back from `upgraded`; call it on the runtime the
/// screen's task runs on (its reactor takes the stream over). Fails only
/// if the stream cannot move between reactors (the operating system out
/// of resources); the connection is then gone and the screen reconnects.
pub fn take(upgraded: Upgraded) -> io::Result<Taken> {
    match upgraded.downcast::<TokioIo<TcpStream>>() {
        Ok(parts) => {
            let tcp = TcpStream::from_std(parts.io.into_inner().into_std()?)?;
            if let Err(e) = rustix::net::sockopt::set_socket_send_buffer_size(&tcp, SEND_BUFFER) {
                tracing::debug!(error = %e, "cannot bound a screen's send buffer");
            }
            Ok(Taken {
                io: Box::new(tcp),
                read: parts.read_buf.to_vec(),
            })
        }
        Err(upgraded) => Ok(Taken {
            io: Box::new(TokioIo::new(upgraded)),
            read: Vec::new(),
        }),
    }
}
