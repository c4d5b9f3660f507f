//! The walker against constructed byte streams.

use super::*;

/// A server frame (unmasked) with `first` as its first byte.
fn frame(first: u8, payload: &[u8]) -> Vec<u8> {
    let mut out = vec![first];
    match payload.len() {
        n if n < 126 => out.push(n as u8),
        n if n <= 0xffff => {
            out.push(126);
            out.extend_from_slice(&(n as u16).to_be_bytes());
        }
        n => {
            out.push(127);
            out.extend_from_slice(&(n as u64).to_be_bytes());
        }
    }
    out.extend_from_slice(payload);
    out
}

/// Keeps whole messages, to see the payload arrives intact.
#[derive(Default)]
struct Keep {
    current: Vec<u8>,
    messages: Vec<(Vec<u8>, bool)>,
}

impl Payload for Keep {
    fn data(&mut self, chunk: &[u8]) {
        self.current.extend_from_slice(chunk);
    }
    fn end(&mut self, compressed: bool) {
        self.messages
            .push((std::mem::take(&mut self.current), compressed));
    }
}

fn stream() -> (Vec<u8>, Vec<Vec<u8>>) {
    let hello = br#"{"type":"hello"}"#.to_vec();
    let medium = vec![b'm'; 300];
    let big = vec![b'b'; 70_000];
    let mut bytes = frame(0x81, &hello);
    bytes.extend(frame(0x89, b"are you there"));
    bytes.extend(frame(0x81, &medium));
    // One message in two fragments.
    bytes.extend(frame(0x01, b"frag"));
    bytes.extend(frame(0x80, b"ment"));
    bytes.extend(frame(0x81, b""));
    bytes.extend(frame(0x82, &big));
    (
        bytes,
        vec![hello, medium, b"fragment".to_vec(), Vec::new(), big],
    )
}

#[test]
fn frames_split_across_reads_at_every_offset() {
    let (bytes, want) = stream();
    let total: u64 = want.iter().map(|m| m.len() as u64).sum();
    // Every split point of the first 400 bytes (every header boundary of
    // the small frames) and a sample through the big frame.
    let splits = (0..400).chain((400..bytes.len()).step_by(997));
    for at in splits {
        let mut w = Walker::new(false);
        let mut keep = Keep::default();
        let (a, b) = bytes.split_at(at);
        w.feed(a, &mut keep).expect("first piece");
        w.feed(b, &mut keep).expect("second piece");
        let got: Vec<Vec<u8>> = keep.messages.iter().map(|m| m.0.clone()).collect();
        assert_eq!(got, want, "split at {at}");
        assert_eq!(w.messages, 5);
        assert_eq!(w.payload_bytes, total);
        assert_eq!(
            w.ping.map(|p| p.payload[..p.len].to_vec()),
            Some(b"are you there".to_vec())
        );
    }
    // And one byte at a time.
    let mut w = Walker::new(false);
    for b in &bytes {
        w.feed(std::slice::from_ref(b), &mut Skip).expect("byte");
    }
    assert_eq!((w.messages, w.payload_bytes), (5, total));
}

#[test]
fn a_ping_is_answered_with_a_masked_pong() {
    let mut w = Walker::new(false);
    w.feed(&frame(0x89, b"hi!"), &mut Skip).expect("ping");
    let ping = w.ping.take().expect("a ping to answer");
    let mut out = [0u8; 131];
    let mask = [1, 2, 3, 4];
    let n = client_frame(0xA, &ping.payload[..ping.len], mask, &mut out);
    assert_eq!(n, 2 + 4 + 3);
    assert_eq!(out[0], 0x8A, "FIN and pong");
    assert_eq!(out[1], 0x80 | 3, "masked, 3 bytes");
    assert_eq!(&out[2..6], &mask);
    let unmasked: Vec<u8> = out[6..9]
        .iter()
        .zip(mask.iter().cycle())
        .map(|(b, m)| b ^ m)
        .collect();
    assert_eq!(unmasked, b"hi!");
}

#[test]
fn a_close_is_noticed_with_its_code() {
    let mut w = Walker::new(false);
    let mut close = 1001u16.to_be_bytes().to_vec();
    close.extend_from_slice(b"server shutting down");
    w.feed(&frame(0x88, &close), &mut Skip).expect("close");
    assert_eq!(w.closed, Some(1001));
    let mut w = Walker::new(false);
    w.feed(&frame(0x88, b""), &mut Skip).expect("bare close");
    assert_eq!(w.closed, Some(1005));
}

#[test]
fn a_64_bit_length_and_a_1_mib_frame_in_a_fixed_buffer() {
    let payload = vec![b'z'; 1 << 20];
    let bytes = frame(0x81, &payload);
    assert_eq!(bytes[1], 127, "a 64-bit length");
    let mut w = Walker::new(false);
    let before = std::mem::size_of_val(&w);
    let mut buf = [0u8; 4096];
    for piece in bytes.chunks(buf.len()) {
        buf[..piece.len()].copy_from_slice(piece);
        w.feed(&buf[..piece.len()], &mut Skip).expect("piece");
    }
    assert_eq!((w.messages, w.payload_bytes), (1, 1 << 20));
    assert_eq!(std::mem::size_of_val(&w), before);
    assert!(before < 512, "the walker holds {before} bytes");
}

#[test]
fn compressed_messages_are_flagged_only_when_negotiated() {
    let mut keep = Keep::default();
    let mut w = Walker::new(true);
    w.feed(&frame(0xC1, b"xx"), &mut keep)
        .expect("RSV1 with deflate");
    w.feed(&frame(0x81, b"yy"), &mut keep).expect("plain");
    assert!(keep.messages[0].1);
    assert!(!keep.messages[1].1);
    let mut plain = Walker::new(false);
    assert_eq!(
        plain.feed(&frame(0xC1, b"xx"), &mut Skip),
        Err(WalkError::Reserved(0x40))
    );
    let mut w = Walker::new(true);
    assert_eq!(
        w.feed(&frame(0xC9, b""), &mut Skip),
        Err(WalkError::Reserved(0x40)),
        "never on a ping"
    );
    let mut w = Walker::new(false);
    assert_eq!(
        w.feed(&[0x81, 0x81, 0, 0, 0, 0, b'a'], &mut Skip),
        Err(WalkError::Masked)
    );
}
