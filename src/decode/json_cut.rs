//! Damage recovery for the JSON readers that parse a whole document (Jaeger, Zipkin,
//! Langfuse, flat records): when the document is cut or broken, keep it up to the
//! last record (span, observation, trace) that ended before the damage and close
//! the brackets still open there, so the reader gets valid JSON holding every
//! complete record. The OTLP/JSON reader has its own, finer recovery.

/// Keys whose array value holds records: the spans of a Jaeger trace or of a
/// `{spans: […]}` wrapper, Langfuse observations, Jaeger's list of traces. A
/// top-level array is a record array too (Zipkin, flat lists).
const RECORD_KEYS: [&[u8]; 3] = [b"spans", b"observations", b"data"];

/// The document cut after its last complete record before `damage` (the byte where
/// the parser failed), with the open brackets closed; `None` when no record ended
/// before it.
pub fn close_before(buf: &[u8], damage: usize) -> Option<Vec<u8>> {
    let end = damage.min(buf.len());
    let safe = scan(&buf[..end], None)?;
    let open = scan_stack(&buf[..safe]);
    let mut out = Vec::with_capacity(safe + open.len());
    out.extend_from_slice(&buf[..safe]);
    out.extend(
        open.iter()
            .rev()
            .map(|&c| if c == b'[' { b']' } else { b'}' }),
    );
    Some(out)
}

/// The byte offset a `serde_json` error points at (its line and column), clamped
/// to the input.
pub fn error_offset(buf: &[u8], e: &serde_json::Error) -> usize {
    let (line, col) = (e.line(), e.column());
    if line == 0 {
        return buf.len();
    }
    let mut at = 0usize;
    for _ in 1..line {
        match memchr_newline(&buf[at..]) {
            Some(p) => at += p + 1,
            None => return buf.len(),
        }
    }
    (at + col.saturating_sub(1)).min(buf.len())
}

fn memchr_newline(b: &[u8]) -> Option<usize> {
    b.iter().position(|&c| c == b'\n')
}

/// The open brackets at the end of `buf`, outermost first.
fn scan_stack(buf: &[u8]) -> Vec<u8> {
    let mut stack = Vec::new();
    scan(buf, Some(&mut stack));
    stack
}

/// Walks the JSON text; returns the offset just after the last object that closed
/// as an element of a record array. With `stack`, leaves the open brackets in it.
fn scan(buf: &[u8], stack: Option<&mut Vec<u8>>) -> Option<usize> {
    let mut local = Vec::new();
    let stack = stack.unwrap_or(&mut local);
    // Per open bracket: whether it is a record array.
    let mut records: Vec<bool> = Vec::new();
    let mut last_string: (usize, usize) = (0, 0);
    let mut key: (usize, usize) = (0, 0);
    let mut safe = None;
    let mut i = 0;
    while i < buf.len() {
        match buf[i] {
            b'"' => {
                let start = i + 1;
                i += 1;
                while i < buf.len() && buf[i] != b'"' {
                    if buf[i] == b'\\' {
                        i += 1;
                    }
                    i += 1;
                }
                last_string = (start, i.min(buf.len()));
            }
            b':' => key = last_string,
            b'[' => {
                let is_record = match stack.last() {
                    None => true,
                    Some(b'{') => RECORD_KEYS.contains(&&buf[key.0..key.1]),
                    Some(_) => false,
                };
                stack.push(b'[');
                records.push(is_record);
            }
            b'{' => {
                stack.push(b'{');
                records.push(false);
            }
            c @ (b']' | b'}') => {
                stack.pop();
                records.pop();
                if c == b'}' && records.last() == Some(&true) {
                    safe = Some(i + 1);
                }
            }
            _ => {}
        }
        i += 1;
    }
    safe
}

#[cfg(test)]
mod tests {
    use super::*;

    fn closed(s: &str) -> Option<String> {
        close_before(s.as_bytes(), s.len()).map(|v| String::from_utf8(v).expect("utf-8"))
    }

    #[test]
    fn keeps_complete_records_of_a_top_level_array() {
        assert_eq!(
            closed(r#"[{"a":1},{"b":"x]}"},{"c":[1,2"#).as_deref(),
            Some(r#"[{"a":1},{"b":"x]}"}]"#)
        );
    }

    #[test]
    fn keeps_spans_inside_wrappers() {
        let s = r#"{"data":[{"traceID":"1","spans":[{"spanID":"a","tags":[{"k":1}]},{"spanID":"b","tags":[{"k""#;
        assert_eq!(
            closed(s).as_deref(),
            Some(r#"{"data":[{"traceID":"1","spans":[{"spanID":"a","tags":[{"k":1}]}]}]}"#)
        );
    }

    #[test]
    fn nothing_when_no_record_ended() {
        assert_eq!(closed(r#"{"spans":[{"spanID":"a""#), None);
        assert_eq!(closed(r#"{"x":[{"y":1},{"#), None);
    }

    #[test]
    fn error_offsets_follow_lines_and_columns() {
        let s = b"[\n  {\"a\": 1},\n  {\"b\": tru";
        let e = serde_json::from_slice::<serde_json::Value>(s).expect_err("broken");
        assert!(error_offset(s, &e) >= 20);
    }
}
