//! Trace and span identifiers: fixed-size byte arrays, so they hash and compare cheaply
//! and print the same way whichever encoding (hex, base64, protobuf bytes) they arrived in.

use base64::Engine as _;
use std::fmt;

/// A 16-byte W3C trace id.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct TraceId(pub [u8; 16]);

/// An 8-byte W3C span id. All zeroes means "no span" (used for absent parents).
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct SpanId(pub [u8; 8]);

impl SpanId {
    /// The absent id (an empty `parentSpanId`).
    pub const NONE: SpanId = SpanId([0; 8]);

    /// True when this id is the absent id.
    pub fn is_none(&self) -> bool {
        self.0 == [0; 8]
    }
}

/// An id's lowercase hex digits on the stack, for writers that format millions of ids.
#[derive(Clone, Copy)]
pub struct Hex<const N: usize>([u8; N]);

impl<const N: usize> Hex<N> {
    fn of(bytes: &[u8]) -> Hex<N> {
        const DIGITS: &[u8; 16] = b"0123456789abcdef";
        let mut out = [b'0'; N];
        for (pair, b) in out.chunks_exact_mut(2).zip(bytes) {
            pair[0] = DIGITS[usize::from(b >> 4)];
            pair[1] = DIGITS[usize::from(b & 15)];
        }
        Hex(out)
    }

    /// The digits.
    pub fn as_str(&self) -> &str {
        std::str::from_utf8(&self.0).unwrap_or_default()
    }
}

impl SpanId {
    /// A stand-in for a parent id that could not be read: never zero (so the span
    /// is an orphan, not a root), derived from the text so equal texts agree.
    pub fn unreadable(text: &[u8]) -> SpanId {
        let mut h: u64 = 0xcbf2_9ce4_8422_2325;
        for &b in text {
            h = (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3);
        }
        SpanId((h | 1).to_be_bytes())
    }
}

impl TraceId {
    /// The id as 32 hex digits, without allocating.
    pub fn hex(&self) -> Hex<32> {
        Hex::of(&self.0)
    }
}

impl SpanId {
    /// The id as 16 hex digits, without allocating.
    pub fn hex(&self) -> Hex<16> {
        Hex::of(&self.0)
    }
}

fn write_hex(f: &mut fmt::Formatter<'_>, bytes: &[u8]) -> fmt::Result {
    for b in bytes {
        write!(f, "{b:02x}")?;
    }
    Ok(())
}

impl TraceId {
    /// The id as listings show it: a 64-bit id (Zipkin, old Jaeger; the high half all
    /// zeroes once widened) as its 16 significant hex digits, else all 32, so short
    /// ids stay distinct and can be pasted back.
    pub fn listed(&self) -> String {
        if self.0[..8].iter().all(|&b| b == 0) && self.0[8..].iter().any(|&b| b != 0) {
            self.to_string()[16..].to_owned()
        } else {
            self.to_string()
        }
    }
}

impl fmt::Display for TraceId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write_hex(f, &self.0)
    }
}
impl fmt::Debug for TraceId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write_hex(f, &self.0)
    }
}
impl fmt::Display for SpanId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write_hex(f, &self.0)
    }
}
impl fmt::Debug for SpanId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write_hex(f, &self.0)
    }
}

/// Why an id could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum IdError {
    /// Neither the hex nor the base64 reading fits the id's length and alphabet.
    #[error("{what} {text:?} is neither {hex_len}-digit hex nor base64 of {bytes} bytes")]
    Malformed {
        what: &'static str,
        text: String,
        hex_len: usize,
        bytes: usize,
    },
    /// A binary id with the wrong number of bytes.
    #[error("{what} has {got} bytes, expected {bytes}")]
    WrongLength {
        what: &'static str,
        got: usize,
        bytes: usize,
    },
}

fn hex_val(c: u8) -> Option<u8> {
    match c {
        b'0'..=b'9' => Some(c - b'0'),
        b'a'..=b'f' => Some(c - b'a' + 10),
        b'A'..=b'F' => Some(c - b'A' + 10),
        _ => None,
    }
}

/// Decodes an id written as hex (either case) or, where the length says so, base64
/// (standard or URL-safe alphabet, padded or not), into exactly `N` bytes.
pub fn decode_id<const N: usize>(text: &str, what: &'static str) -> Result<[u8; N], IdError> {
    let s = text.as_bytes();
    let mut out = [0u8; N];
    if s.len() == 2 * N {
        let mut ok = true;
        for (i, pair) in s.chunks_exact(2).enumerate() {
            match (hex_val(pair[0]), hex_val(pair[1])) {
                (Some(h), Some(l)) => out[i] = (h << 4) | l,
                _ => {
                    ok = false;
                    break;
                }
            }
        }
        if ok {
            return Ok(out);
        }
    }
    let b64_len_padded = N.div_ceil(3) * 4;
    let b64_len_unpadded = (N * 4).div_ceil(3);
    if s.len() == b64_len_padded || s.len() == b64_len_unpadded {
        let trimmed = text.trim_end_matches('=');
        for engine in [
            &base64::engine::general_purpose::STANDARD_NO_PAD,
            &base64::engine::general_purpose::URL_SAFE_NO_PAD,
        ] {
            if let Ok(bytes) = engine.decode(trimmed)
                && bytes.len() == N
            {
                out.copy_from_slice(&bytes);
                return Ok(out);
            }
        }
    }
    Err(IdError::Malformed {
        what,
        text: text.chars().take(64).collect(),
        hex_len: 2 * N,
        bytes: N,
    })
}

/// Copies a binary id (protobuf `bytes`) into exactly `N` bytes.
pub fn id_from_bytes<const N: usize>(bytes: &[u8], what: &'static str) -> Result<[u8; N], IdError> {
    <[u8; N]>::try_from(bytes).map_err(|_| IdError::WrongLength {
        what,
        got: bytes.len(),
        bytes: N,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hex_either_case() {
        let a: [u8; 8] = decode_id("EEE19B7EC3C1B174", "span id").unwrap();
        let b: [u8; 8] = decode_id("eee19b7ec3c1b174", "span id").unwrap();
        assert_eq!(a, b);
        assert_eq!(SpanId(a).to_string(), "eee19b7ec3c1b174");
    }

    #[test]
    fn base64_by_length() {
        // 0x5b8efff798038103d269b633813fc60c in base64
        let t: [u8; 16] = decode_id("W47/95gDgQPSabYzgT/GDA==", "trace id").unwrap();
        assert_eq!(TraceId(t).to_string(), "5b8efff798038103d269b633813fc60c");
        let s: [u8; 8] = decode_id("7uGbfsPBsXQ=", "span id").unwrap();
        assert_eq!(SpanId(s).to_string(), "eee19b7ec3c1b174");
    }

    #[test]
    fn rejects_garbage() {
        assert!(decode_id::<16>("zzz", "trace id").is_err());
        assert!(decode_id::<16>("!!!INVALID_BASE64!!!", "trace id").is_err());
        assert!(decode_id::<8>("INVALID==", "span id").is_err());
        assert!(decode_id::<8>("zzzzzzzzzzzzzzzz", "span id").is_err());
    }
}
