//! The screens' WebSocket client, as small as counting thousands of
//! screens needs: the upgrade (`handshake`), a walk over frame headers
//! that never assembles a message (`walker`), and `permessage-deflate`
//! for the sampled screens that read their frames (`inflate`).

pub mod handshake;
pub mod inflate;
pub mod walker;
