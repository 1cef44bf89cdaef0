//! Text that JSON parsers refuse but producers emit: bytes that are not UTF-8 (a
//! value cut in the middle of a character, Latin-1 from an old client) and lone
//! surrogate escapes (`\ud83d` without its pair: what JavaScript and Python write
//! for text cut in the middle of an emoji). One bad value would end the document for
//! `serde_json`; here each becomes U+FFFD, counted in one warning, and the rest of
//! the document reads.

use crate::model::{Position, Warning};

/// Mends `buf` in place (lone surrogate escapes keep their length; invalid UTF-8 is
/// re-encoded lossily) and says what was replaced.
pub fn mend(buf: &mut Vec<u8>, name: &str) -> Vec<Warning> {
    let mut warnings = Vec::new();
    if let Err(e) = std::str::from_utf8(buf) {
        let first = e.valid_up_to();
        let fixed = String::from_utf8_lossy(buf).into_owned();
        let bad = fixed.matches('\u{fffd}').count();
        *buf = fixed.into_bytes();
        warnings.push(Warning {
            source: name.to_owned(),
            position: Position::Byte(first as u64),
            message: format!(
                "{bad} byte sequences that are not UTF-8 replaced by U+FFFD (the first at this byte)"
            ),
        });
    }
    let (count, first) = lone_surrogates(buf);
    if count > 0 {
        warnings.push(Warning {
            source: name.to_owned(),
            position: Position::Byte(first as u64),
            message: format!(
                "{count} lone surrogate escapes (text cut inside a character) replaced by U+FFFD (the first at this byte)"
            ),
        });
    }
    warnings
}

fn hex4(b: &[u8]) -> Option<u16> {
    let s = std::str::from_utf8(b.get(..4)?).ok()?;
    u16::from_str_radix(s, 16).ok()
}

/// Replaces every `\uD800`–`\uDFFF` escape that is not half of a pair with
/// `\ufffd`; returns how many and where the first was.
fn lone_surrogates(buf: &mut [u8]) -> (usize, usize) {
    let (mut count, mut first) = (0usize, 0usize);
    let mut at = 0usize;
    while let Some(p) = memchr::memchr(b'\\', &buf[at..]) {
        let i = at + p;
        match buf.get(i + 1) {
            Some(b'u') => {
                let Some(cp) = hex4(&buf[(i + 2).min(buf.len())..]) else {
                    at = i + 2;
                    continue;
                };
                let high = (0xD800..0xDC00).contains(&cp);
                let low = (0xDC00..0xE000).contains(&cp);
                let paired = high
                    && buf.get(i + 6) == Some(&b'\\')
                    && buf.get(i + 7) == Some(&b'u')
                    && hex4(&buf[(i + 8).min(buf.len())..])
                        .is_some_and(|c| (0xDC00..0xE000).contains(&c));
                if paired {
                    at = i + 12;
                } else if high || low {
                    buf[i + 2..i + 6].copy_from_slice(b"fffd");
                    if count == 0 {
                        first = i;
                    }
                    count += 1;
                    at = i + 6;
                } else {
                    at = i + 6;
                }
            }
            Some(_) => at = i + 2,
            None => break,
        }
    }
    (count, first)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lone_surrogates_become_replacement_characters() {
        let mut b = br#"{"a":"x\ud83d","b":"\ud83d\ude00","c":"\\ud83d","d":"\udc00y"}"#.to_vec();
        let w = mend(&mut b, "t");
        assert_eq!(w.len(), 1);
        let v: serde_json::Value = serde_json::from_slice(&b).expect("valid now");
        assert_eq!(v["a"], "x\u{fffd}");
        assert_eq!(v["b"], "\u{1f600}", "a real pair is kept");
        assert_eq!(v["c"], "\\ud83d", "an escaped backslash is text");
        assert_eq!(v["d"], "\u{fffd}y");
    }

    #[test]
    fn invalid_utf8_is_replaced() {
        let mut b = b"{\"a\":\"caf\xe9\"}".to_vec();
        let w = mend(&mut b, "t");
        assert_eq!(w.len(), 1);
        assert!(matches!(w[0].position, Position::Byte(9)));
        let v: serde_json::Value = serde_json::from_slice(&b).expect("valid now");
        assert_eq!(v["a"], "caf\u{fffd}");
    }
}
