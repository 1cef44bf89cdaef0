//! The OTLP JSON mapping of the reference protobuf types, written straight into a
//! byte buffer. Building a `serde_json::Value` tree per chunk and printing it made a
//! JSON export five times slower than loading the same file; writing the text
//! directly keeps the export close to the protobuf one. The escaping is the one every
//! JSON output of agtrace uses: JSON's own, plus C1 controls, DEL, bidirectional and
//! invisible formatting characters as `\u` escapes, so a consumer that prints a field
//! cannot be steered by it.

use base64::Engine as _;
use opentelemetry_proto::tonic::common::v1::{AnyValue, KeyValue, any_value::Value};
use opentelemetry_proto::tonic::trace::v1::{ResourceSpans, Span};

/// Appends `rs` as one OTLP/JSON `ResourceSpans` object.
pub fn resource_spans(out: &mut Vec<u8>, rs: &ResourceSpans) {
    out.push(b'{');
    let mut first = true;
    if let Some(r) = &rs.resource {
        key(out, &mut first, "resource");
        out.push(b'{');
        let mut f = true;
        key(out, &mut f, "attributes");
        key_values(out, &r.attributes);
        if r.dropped_attributes_count > 0 {
            key(out, &mut f, "droppedAttributesCount");
            number(out, r.dropped_attributes_count);
        }
        out.push(b'}');
    }
    key(out, &mut first, "scopeSpans");
    out.push(b'[');
    for (i, ss) in rs.scope_spans.iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        out.push(b'{');
        let mut f = true;
        if let Some(sc) = &ss.scope {
            key(out, &mut f, "scope");
            out.push(b'{');
            let mut g = true;
            key(out, &mut g, "name");
            string(out, &sc.name);
            if !sc.version.is_empty() {
                key(out, &mut g, "version");
                string(out, &sc.version);
            }
            if !sc.attributes.is_empty() {
                key(out, &mut g, "attributes");
                key_values(out, &sc.attributes);
            }
            if sc.dropped_attributes_count > 0 {
                key(out, &mut g, "droppedAttributesCount");
                number(out, sc.dropped_attributes_count);
            }
            out.push(b'}');
        }
        key(out, &mut f, "spans");
        out.push(b'[');
        for (j, s) in ss.spans.iter().enumerate() {
            if j > 0 {
                out.push(b',');
            }
            span(out, s);
        }
        out.push(b']');
        out.push(b'}');
    }
    out.push(b']');
    out.push(b'}');
}

fn span(out: &mut Vec<u8>, s: &Span) {
    out.push(b'{');
    let mut f = true;
    key(out, &mut f, "traceId");
    hex(out, &s.trace_id);
    key(out, &mut f, "spanId");
    hex(out, &s.span_id);
    if !s.trace_state.is_empty() {
        key(out, &mut f, "traceState");
        string(out, &s.trace_state);
    }
    if !s.parent_span_id.is_empty() {
        key(out, &mut f, "parentSpanId");
        hex(out, &s.parent_span_id);
    }
    if s.flags != 0 {
        key(out, &mut f, "flags");
        number(out, s.flags);
    }
    key(out, &mut f, "name");
    string(out, &s.name);
    key(out, &mut f, "kind");
    number(out, s.kind);
    key(out, &mut f, "startTimeUnixNano");
    quoted_number(out, s.start_time_unix_nano);
    key(out, &mut f, "endTimeUnixNano");
    quoted_number(out, s.end_time_unix_nano);
    key(out, &mut f, "attributes");
    key_values(out, &s.attributes);
    if !s.events.is_empty() {
        key(out, &mut f, "events");
        out.push(b'[');
        for (i, e) in s.events.iter().enumerate() {
            if i > 0 {
                out.push(b',');
            }
            out.push(b'{');
            let mut g = true;
            key(out, &mut g, "timeUnixNano");
            quoted_number(out, e.time_unix_nano);
            key(out, &mut g, "name");
            string(out, &e.name);
            key(out, &mut g, "attributes");
            key_values(out, &e.attributes);
            if e.dropped_attributes_count > 0 {
                key(out, &mut g, "droppedAttributesCount");
                number(out, e.dropped_attributes_count);
            }
            out.push(b'}');
        }
        out.push(b']');
    }
    if !s.links.is_empty() {
        key(out, &mut f, "links");
        out.push(b'[');
        for (i, l) in s.links.iter().enumerate() {
            if i > 0 {
                out.push(b',');
            }
            out.push(b'{');
            let mut g = true;
            key(out, &mut g, "traceId");
            hex(out, &l.trace_id);
            key(out, &mut g, "spanId");
            hex(out, &l.span_id);
            if !l.trace_state.is_empty() {
                key(out, &mut g, "traceState");
                string(out, &l.trace_state);
            }
            key(out, &mut g, "attributes");
            key_values(out, &l.attributes);
            if l.dropped_attributes_count > 0 {
                key(out, &mut g, "droppedAttributesCount");
                number(out, l.dropped_attributes_count);
            }
            if l.flags != 0 {
                key(out, &mut g, "flags");
                number(out, l.flags);
            }
            out.push(b'}');
        }
        out.push(b']');
    }
    for (k, n) in [
        ("droppedAttributesCount", s.dropped_attributes_count),
        ("droppedEventsCount", s.dropped_events_count),
        ("droppedLinksCount", s.dropped_links_count),
    ] {
        if n > 0 {
            key(out, &mut f, k);
            number(out, n);
        }
    }
    if let Some(st) = &s.status {
        key(out, &mut f, "status");
        out.push(b'{');
        let mut g = true;
        if !st.message.is_empty() {
            key(out, &mut g, "message");
            string(out, &st.message);
        }
        if st.code != 0 {
            key(out, &mut g, "code");
            number(out, st.code);
        }
        out.push(b'}');
    }
    out.push(b'}');
}

fn key_values(out: &mut Vec<u8>, kvs: &[KeyValue]) {
    out.push(b'[');
    for (i, kv) in kvs.iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        out.extend_from_slice(b"{\"key\":");
        string(out, &kv.key);
        out.extend_from_slice(b",\"value\":");
        match &kv.value {
            Some(v) => any_value(out, v),
            None => out.extend_from_slice(b"{}"),
        }
        out.push(b'}');
    }
    out.push(b']');
}

fn any_value(out: &mut Vec<u8>, v: &AnyValue) {
    match &v.value {
        None => out.extend_from_slice(b"{}"),
        Some(Value::StringValue(s)) => {
            out.extend_from_slice(b"{\"stringValue\":");
            string(out, s);
            out.push(b'}');
        }
        Some(Value::BoolValue(b)) => {
            out.extend_from_slice(if *b {
                b"{\"boolValue\":true}"
            } else {
                b"{\"boolValue\":false}"
            });
        }
        Some(Value::IntValue(i)) => {
            out.extend_from_slice(b"{\"intValue\":");
            quoted_number(out, *i);
            out.push(b'}');
        }
        // Proto3 JSON: non-finite doubles are the strings "NaN", "Infinity", "-Infinity".
        Some(Value::DoubleValue(d)) if d.is_nan() => {
            out.extend_from_slice(b"{\"doubleValue\":\"NaN\"}");
        }
        Some(Value::DoubleValue(d)) if d.is_infinite() => {
            out.extend_from_slice(if *d > 0.0 {
                b"{\"doubleValue\":\"Infinity\"}".as_slice()
            } else {
                b"{\"doubleValue\":\"-Infinity\"}".as_slice()
            });
        }
        Some(Value::DoubleValue(d)) => {
            out.extend_from_slice(b"{\"doubleValue\":");
            // serde_json's shortest round-trip form (ryu), as every JSON output has it.
            let _ = serde_json::to_writer(&mut *out, d);
            out.push(b'}');
        }
        Some(Value::BytesValue(b)) => {
            out.extend_from_slice(b"{\"bytesValue\":\"");
            let text = base64::engine::general_purpose::STANDARD.encode(b);
            out.extend_from_slice(text.as_bytes());
            out.extend_from_slice(b"\"}");
        }
        Some(Value::ArrayValue(a)) => {
            out.extend_from_slice(b"{\"arrayValue\":{\"values\":[");
            for (i, x) in a.values.iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                any_value(out, x);
            }
            out.extend_from_slice(b"]}}");
        }
        Some(Value::KvlistValue(kv)) => {
            out.extend_from_slice(b"{\"kvlistValue\":{\"values\":");
            key_values(out, &kv.values);
            out.extend_from_slice(b"}}");
        }
        // Not produced from the model (it has no string table); kept for completeness.
        Some(Value::StringValueStrindex(i)) => {
            out.extend_from_slice(b"{\"stringValueStrindex\":");
            number(out, *i);
            out.push(b'}');
        }
    }
}

/// A comma unless this is the object's first member, then `"name":`.
fn key(out: &mut Vec<u8>, first: &mut bool, name: &str) {
    if !std::mem::take(first) {
        out.push(b',');
    }
    out.push(b'"');
    out.extend_from_slice(name.as_bytes());
    out.extend_from_slice(b"\":");
}

fn number(out: &mut Vec<u8>, n: impl std::fmt::Display) {
    use std::io::Write as _;
    let _ = write!(out, "{n}");
}

/// A 64-bit integer as a JSON string (the mapping's form for int64 and fixed64).
fn quoted_number(out: &mut Vec<u8>, n: impl std::fmt::Display) {
    out.push(b'"');
    number(out, n);
    out.push(b'"');
}

fn hex(out: &mut Vec<u8>, bytes: &[u8]) {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    out.push(b'"');
    for &b in bytes {
        out.push(DIGITS[usize::from(b >> 4)]);
        out.push(DIGITS[usize::from(b & 15)]);
    }
    out.push(b'"');
}

/// A JSON string: `"` and `\` escaped, C0 controls as serde_json writes them, and
/// every other character [`crate::sanitize::is_dangerous`] names as `\uXXXX` (UTF-16
/// units above the BMP).
fn string(out: &mut Vec<u8>, s: &str) {
    out.push(b'"');
    let bytes = s.as_bytes();
    let mut plain = 0;
    for (i, c) in s.char_indices() {
        let esc: Option<&[u8]> = match c {
            '"' => Some(b"\\\""),
            '\\' => Some(b"\\\\"),
            '\n' => Some(b"\\n"),
            '\t' => Some(b"\\t"),
            '\r' => Some(b"\\r"),
            '\u{8}' => Some(b"\\b"),
            '\u{c}' => Some(b"\\f"),
            ' '..='~' => None,
            c if c.is_ascii() || crate::sanitize::is_dangerous(c) => Some(b""),
            _ => None,
        };
        let Some(esc) = esc else { continue };
        out.extend_from_slice(&bytes[plain..i]);
        plain = i + c.len_utf8();
        if esc.is_empty() {
            let mut units = [0u16; 2];
            for u in c.encode_utf16(&mut units) {
                unicode_escape(out, *u);
            }
        } else {
            out.extend_from_slice(esc);
        }
    }
    out.extend_from_slice(&bytes[plain..]);
    out.push(b'"');
}

fn unicode_escape(out: &mut Vec<u8>, u: u16) {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    out.extend_from_slice(b"\\u");
    for shift in [12, 8, 4, 0] {
        out.push(DIGITS[usize::from((u >> shift) & 15)]);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(s: &str) -> String {
        let mut out = Vec::new();
        string(&mut out, s);
        String::from_utf8(out).expect("utf-8")
    }

    #[test]
    fn strings_escape_as_every_json_output_does() {
        for s in [
            "plain",
            "quote \" and \\ backslash",
            "lines\nand\ttabs\r",
            "\u{1b}[31mred\u{7}\u{0}",
            "\u{7f}del \u{85}nel \u{9b}csi",
            "bidi \u{202e}evil\u{2066} zero\u{200b}width \u{feff}",
            "tag \u{e0041} emoji 🦀 accents é",
            "",
        ] {
            let mut via_value = Vec::new();
            crate::render::write_json_line(&mut via_value, &serde_json::json!(s)).expect("write");
            via_value.pop();
            assert_eq!(text(s).into_bytes(), via_value, "{s:?}");
            let back: String = serde_json::from_str(&text(s)).expect("valid JSON");
            assert_eq!(back, s);
        }
    }
}
