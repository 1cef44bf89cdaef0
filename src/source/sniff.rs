//! Format detection from content, and a one-phrase description of inputs that are not
//! trace dumps (Jaeger, Zipkin, Langfuse exports, logs, binaries) for the error message.

use crate::decode::otlp_proto;

/// What an input's bytes are.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    /// Starts with `{` or `[`.
    Json,
    /// Parses as OTLP protobuf in some framing.
    Protobuf,
    /// Nothing but white space.
    Empty,
    /// Neither.
    Other,
}

/// Detects the format from the first bytes (and a protobuf framing walk).
pub fn sniff_format(buf: &[u8]) -> Format {
    let body = buf.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(buf);
    match body.iter().find(|b| !b.is_ascii_whitespace()) {
        None => Format::Empty,
        Some(b'{') | Some(b'[') => Format::Json,
        Some(_) if otlp_proto::looks_like(buf) => Format::Protobuf,
        Some(_) => Format::Other,
    }
}

/// A short phrase naming what a non-trace input looks like ("a Jaeger JSON export").
pub fn describe_non_trace(buf: &[u8]) -> String {
    let head = &buf[..buf.len().min(64 * 1024)];
    if head.starts_with(SQLITE_MAGIC) {
        return "a SQLite database".into();
    }
    let text = String::from_utf8_lossy(head);
    let has = |s: &str| text.contains(s);
    let first = text.trim_start().chars().next();
    if matches!(first, Some('{') | Some('[')) {
        if has("\"traceID\"") && (has("\"processes\"") || has("\"spanID\"")) {
            return "a Jaeger JSON export (query-API format)".into();
        }
        if has("\"localEndpoint\"") || has("\"remoteEndpoint\"") {
            return "a Zipkin v2 JSON span list".into();
        }
        if has("\"observations\"") {
            return "a Langfuse trace export".into();
        }
        if has("\"resourceLogs\"") || has("\"resource_logs\"") {
            return "OTLP logs with no trace data".into();
        }
        if has("\"resourceMetrics\"") || has("\"resource_metrics\"") {
            return "OTLP metrics with no trace data".into();
        }
        if (has("\"spans\"") || has("\"span_id\"") || has("\"spanId\""))
            && let Some(why) = crate::decode::flat::explain(head)
        {
            return why;
        }
        if has("\"spans\"") && (has("\"span_id\"") || has("\"spanId\"")) {
            return "JSON spans in a layout that is not OTLP (no resourceSpans)".into();
        }
        return "JSON that is not OTLP trace data (no resourceSpans)".into();
    }
    let printable = head
        .iter()
        .filter(|&&b| {
            b == b'\n' || b == b'\t' || b == b'\r' || (0x20..0x7f).contains(&b) || b >= 0x80
        })
        .count();
    if !head.is_empty() && printable * 100 / head.len() >= 95 && std::str::from_utf8(head).is_ok() {
        let line: String = text.lines().next().unwrap_or("").chars().take(60).collect();
        return format!(
            "a text file (it starts with \"{}\")",
            crate::sanitize::sanitize(&line)
        );
    }
    let hex: Vec<String> = head.iter().take(8).map(|b| format!("{b:02x}")).collect();
    format!("binary data (first bytes {})", hex.join(" "))
}

/// The first bytes of every SQLite database file.
pub const SQLITE_MAGIC: &[u8] = b"SQLite format 3\0";

/// True when the file starts like a SQLite database.
///
/// Only a regular file is looked at: a FIFO, `/dev/stdin` or a character device would
/// lose the bytes read here, so those are never opened twice.
pub fn is_sqlite(path: &std::path::Path) -> bool {
    use std::io::Read as _;
    if !std::fs::metadata(path).is_ok_and(|m| m.is_file()) {
        return false;
    }
    let mut head = [0u8; 16];
    std::fs::File::open(path)
        .and_then(|mut f| f.read_exact(&mut head))
        .is_ok_and(|()| head == SQLITE_MAGIC)
}
