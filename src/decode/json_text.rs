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

/// JSON nesting kept; a container opening deeper is replaced (see [`cut_deep`]).
pub const MAX_JSON_DEPTH: usize = 100;

/// Replaces every container that opens at nesting depth [`MAX_JSON_DEPTH`] with a
/// placeholder of the same length (`{"stringValue":"[nested too deep: cut]"}`
/// padded with spaces, or `{}` / `[]` when it is shorter), so a value nested past the
/// parser's limit costs itself, not the rest of the document. Byte offsets do not
/// move. Returns how many were cut.
pub fn cut_deep(buf: &mut [u8]) -> usize {
    const PLACEHOLDER: &[u8] = br#"{"stringValue":"[nested too deep: cut]"}"#;
    let mut depth = 0usize;
    let mut cuts = 0;
    let mut i = 0;
    while i < buf.len() {
        match buf[i] {
            b'"' => i = skip_string(buf, i),
            c @ (b'{' | b'[') => {
                // Near the limit, an OTLP AnyValue holding a list is cut whole, so
                // the placeholder shows where the value was.
                let any_value =
                    c == b'{' && depth + 5 >= MAX_JSON_DEPTH && opens_list_value(buf, i);
                if depth + 1 >= MAX_JSON_DEPTH || any_value {
                    let end = matching_close(buf, i);
                    let span = end - i + 1;
                    let fill: &[u8] = if c == b'{' && span >= PLACEHOLDER.len() {
                        PLACEHOLDER
                    } else if c == b'{' {
                        b"{}"
                    } else {
                        b"[]"
                    };
                    buf[i..i + fill.len()].copy_from_slice(fill);
                    for b in &mut buf[i + fill.len()..=end] {
                        *b = b' ';
                    }
                    cuts += 1;
                    i = end;
                } else {
                    depth += 1;
                }
            }
            b'}' | b']' => depth = depth.saturating_sub(1),
            _ => {}
        }
        i += 1;
    }
    cuts
}

/// True when the object at `at` starts with an `arrayValue` / `kvlistValue` key.
fn opens_list_value(buf: &[u8], at: usize) -> bool {
    let rest = &buf[at + 1..buf.len().min(at + 40)];
    let start = rest
        .iter()
        .position(|b| !b.is_ascii_whitespace())
        .unwrap_or(rest.len());
    let rest = &rest[start..];
    [
        &b"\"kvlistValue\""[..],
        b"\"arrayValue\"",
        b"\"kvlist_value\"",
        b"\"array_value\"",
    ]
    .iter()
    .any(|k| rest.starts_with(k))
}

/// The index of the quote that closes the string opening at `at` (or the last byte).
fn skip_string(buf: &[u8], at: usize) -> usize {
    let mut i = at + 1;
    while i < buf.len() {
        match buf[i] {
            b'\\' => i += 2,
            b'"' => return i,
            _ => i += 1,
        }
    }
    buf.len().saturating_sub(1)
}

/// The index of the bracket that closes the container opening at `at` (or the last
/// byte, for a document cut inside it).
fn matching_close(buf: &[u8], at: usize) -> usize {
    let mut depth = 0usize;
    let mut i = at;
    while i < buf.len() {
        match buf[i] {
            b'"' => i = skip_string(buf, i),
            b'{' | b'[' => depth += 1,
            b'}' | b']' => {
                depth -= 1;
                if depth == 0 {
                    return i;
                }
            }
            _ => {}
        }
        i += 1;
    }
    buf.len() - 1
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
    fn deep_values_are_cut_in_place() {
        let deep = format!("{}1{}", "[".repeat(150), "]".repeat(150));
        let mut b = format!(r#"{{"a":{deep},"b":"after"}}"#).into_bytes();
        let len = b.len();
        assert_eq!(cut_deep(&mut b), 1);
        assert_eq!(b.len(), len);
        let v: serde_json::Value = serde_json::from_slice(&b).expect("parses now");
        assert_eq!(v["b"], "after");
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
