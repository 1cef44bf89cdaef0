//! The OpenTelemetry collector's `debug` exporter (and the older `logging` exporter) at
//! `verbosity: detailed`, as `kubectl logs otel-collector` shows it: `ResourceSpans #0`
//! blocks with `Resource attributes:`, `ScopeSpans #0` (or
//! `InstrumentationLibrarySpans #0`), `Span #0` and its `Trace ID : …` fields,
//! `Attributes:` lines `-> key: Str(value)` (or the old `STRING(value)`), `Events:` and
//! `Links:`. A log prefix (`2025-01-15T08:46:23.229Z<TAB>info<TAB>`) before a block's first
//! line is allowed, and the collector's own log lines in between are skipped. In
//! `ResourceLog` blocks, log records that name a span (GenAI events) become events of
//! that span; metrics blocks are skipped to the next `ResourceSpans`. Lines a block
//! cannot place are counted into one warning with the first line number.

use super::Decoded;
use crate::model::{
    Attr, AttrValue, Batch, Event, Link, LogEvent, Position, Resource, Scope, Slice, Span, SpanId,
    SpanKind, StatusCode, TraceId, Warning,
};

/// True when `buf` is debug-exporter text with span detail.
pub fn looks_like(buf: &[u8]) -> bool {
    let head = String::from_utf8_lossy(&buf[..buf.len().min(256 * 1024)]);
    (head.contains("ResourceSpans #") || head.contains("InstrumentationLibrarySpans #"))
        && head.contains("Span #")
}

/// True when `buf` is debug-exporter output without span detail (`verbosity: normal`
/// or `basic`).
pub fn is_summary_only(buf: &[u8]) -> bool {
    let head = String::from_utf8_lossy(&buf[..buf.len().min(256 * 1024)]);
    head.contains("TracesExporter") || head.contains("\"data_type\": \"traces\"")
}

/// True for a line that starts something of its own: an attribute or field line, a
/// block heading, or one of the collector's log lines (a timestamp first).
fn structural(raw: &str) -> bool {
    let t = raw.trim_start();
    const STARTS: &[&str] = &[
        "->",
        "Span #",
        "SpanEvent #",
        "SpanLink #",
        "ScopeSpans",
        "InstrumentationScope",
        "InstrumentationLibrary",
        "Resource",
        "Events:",
        "Links:",
        "Attributes:",
        "{",
        "LogRecord #",
        "ScopeLogs",
        "ScopeMetrics",
        "Metric #",
        "ObservedTimestamp:",
        "Timestamp:",
        "SeverityText:",
        "SeverityNumber:",
        "EventName:",
        "Body:",
        "Trace ID",
        "Span ID",
        "Flags:",
    ];
    let b = raw.as_bytes();
    let stamped = b.len() > 11
        && b[..4].iter().all(u8::is_ascii_digit)
        && b[4] == b'-'
        && b[7] == b'-'
        && b[10] == b'T';
    stamped || raw.contains("ResourceSpans #") || STARTS.iter().any(|p| t.starts_with(p))
}

/// The text's lines, with a string value that spans several lines (a stack trace in
/// `-> k: Str(…)`) joined into its attribute line: every following line up to the next
/// one that starts something of its own belongs to it. Numbered from 1.
fn logical_lines(text: &str) -> Vec<(usize, std::borrow::Cow<'_, str>)> {
    let raw: Vec<&str> = text.lines().collect();
    let mut out = Vec::with_capacity(raw.len());
    let mut i = 0;
    while i < raw.len() {
        let line = raw[i];
        let t = line.trim_start();
        let opens = t.starts_with("->") && (t.contains(": Str(") || t.contains(": STRING("));
        let mut j = i + 1;
        if opens {
            while j < raw.len() && !structural(raw[j]) {
                j += 1;
            }
        }
        if j > i + 1 {
            out.push((i + 1, std::borrow::Cow::Owned(raw[i..j].join("\n"))));
        } else {
            out.push((i + 1, std::borrow::Cow::Borrowed(line)));
        }
        i = j;
    }
    out
}

/// Unix nanoseconds of `2025-01-15 08:46:23.175916835 +0000 UTC`.
pub(crate) fn parse_time(s: &str) -> Option<u64> {
    let s = s.trim();
    let (date, rest) = s.split_once(' ')?;
    let mut d = date.split('-');
    let (y, m, day): (i64, i64, i64) = (
        d.next()?.parse().ok()?,
        d.next()?.parse().ok()?,
        d.next()?.parse().ok()?,
    );
    let clock = rest.split_whitespace().next()?;
    let offset = rest.split_whitespace().nth(1).unwrap_or("+0000");
    let (hms, frac) = clock.split_once('.').unwrap_or((clock, "0"));
    let mut t = hms.split(':');
    let (h, mi, sec): (i64, i64, i64) = (
        t.next()?.parse().ok()?,
        t.next()?.parse().ok()?,
        t.next()?.parse().ok()?,
    );
    let mut frac = frac.chars().take(9).collect::<String>();
    while frac.len() < 9 {
        frac.push('0');
    }
    let nanos: i64 = frac.parse().ok()?;
    let off = {
        let sign = if offset.starts_with('-') { -1 } else { 1 };
        let digits = offset.trim_start_matches(['+', '-']);
        let (oh, om) = (
            digits.get(..2)?.parse::<i64>().ok()?,
            digits.get(2..4).unwrap_or("00").parse::<i64>().ok()?,
        );
        sign * (oh * 3600 + om * 60)
    };
    crate::format::unix_nanos(y, m, day, h, mi, sec, nanos, off)
}

/// `Str(x)`, `Int(5)`, `STRING(x)`… as a value.
fn parse_value(batch: &mut Batch, v: &str) -> AttrValue {
    if let Some(inner) = typed(v)
        .filter(|(k, _)| k.eq_ignore_ascii_case("bytes"))
        .map(|(_, i)| i)
    {
        use base64::Engine as _;
        if let Ok(b) = base64::engine::general_purpose::STANDARD.decode(inner) {
            return AttrValue::Bytes(Box::new(b));
        }
    }
    AttrValue::from_json(&mut batch.strings, &value_json(v))
}

/// The type word and the text inside `Type(…)`, when the value has that shape.
fn typed(v: &str) -> Option<(&str, &str)> {
    let v = v.trim();
    let open = v.find('(')?;
    v.ends_with(')')
        .then(|| (&v[..open], &v[open + 1..v.len() - 1]))
}

/// A printed value as plain JSON: `Str(x)` a string, `Int(5)` a number, `Map({…})`
/// and `Slice([…])` their JSON; anything else the text itself.
fn value_json(v: &str) -> serde_json::Value {
    use serde_json::Value;
    let v = v.trim();
    let Some((kind, inner)) = typed(v) else {
        return Value::String(v.to_owned());
    };
    let text = || Value::String(inner.to_owned());
    match kind.to_ascii_lowercase().as_str() {
        "str" | "string" | "bytes" => text(),
        "int" => inner.parse::<i64>().map_or_else(|_| text(), Value::from),
        "double" => inner
            .parse::<f64>()
            .ok()
            .and_then(serde_json::Number::from_f64)
            .map_or_else(text, Value::Number),
        "bool" => Value::Bool(inner.eq_ignore_ascii_case("true")),
        "empty" => Value::Null,
        "map" | "slice" => serde_json::from_str(inner).unwrap_or_else(|_| text()),
        _ => Value::String(v.to_owned()),
    }
}

fn kind_of(s: &str) -> SpanKind {
    let s = s.to_ascii_lowercase();
    if s.contains("client") {
        SpanKind::Client
    } else if s.contains("server") {
        SpanKind::Server
    } else if s.contains("producer") {
        SpanKind::Producer
    } else if s.contains("consumer") {
        SpanKind::Consumer
    } else if s.contains("internal") {
        SpanKind::Internal
    } else {
        SpanKind::Unspecified
    }
}

/// Where attribute lines go.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Mode {
    /// Outside anything that takes attributes.
    None,
    Resource,
    Span,
    EventHead,
    EventAttrs,
    LinkHead,
    LinkAttrs,
    /// A metrics block: skipped to the next `ResourceSpans`.
    Skip,
    /// A logs block: its records read by [`LogBlock`] up to the next `ResourceSpans`.
    Logs,
}

/// The log records of a `ResourceLog` block. Those that name a span (GenAI events:
/// prompts, completions, tool payloads) become events of that span, as OTLP log
/// records do; the rest are not trace data and are left out.
#[derive(Default)]
struct LogBlock {
    /// The record being read, if any.
    record: Option<LogEvent>,
    /// Inside the record's `Attributes:` list.
    in_attrs: bool,
}

impl LogBlock {
    fn line(&mut self, t: &str, batch: &mut Batch) {
        if t.starts_with("LogRecord #") {
            self.finish(batch);
            self.record = Some(LogEvent {
                trace_id: TraceId([0; 16]),
                span_id: SpanId::NONE,
                time: 0,
                name: String::new(),
                attrs: Vec::new(),
            });
            self.in_attrs = false;
            return;
        }
        let Some(r) = self.record.as_mut() else {
            // Resource and scope lines of the block: nothing a span needs.
            return;
        };
        if let Some(kv) = t.strip_prefix("->") {
            if self.in_attrs {
                let kv = kv.trim();
                let (k, v) = kv.split_once(':').map_or((kv, ""), |(k, v)| (k.trim(), v));
                r.attrs.push((k.to_owned(), value_json(v)));
            }
            return;
        }
        if t == "Attributes:" {
            self.in_attrs = true;
            return;
        }
        let Some((k, v)) = t.split_once(':') else {
            return;
        };
        let v = v.trim();
        self.in_attrs = false;
        match k.trim() {
            "Timestamp" => r.time = parse_time(v).filter(|&t| t > 0).unwrap_or(r.time),
            "ObservedTimestamp" if r.time == 0 => r.time = parse_time(v).unwrap_or(0),
            "EventName" => r.name = v.to_owned(),
            "Body" => match value_json(v) {
                serde_json::Value::Object(m) => r.attrs.extend(m),
                serde_json::Value::Null => {}
                b => r.attrs.push(("body".to_owned(), b)),
            },
            "Trace ID" => {
                if let Ok(b) = crate::model::decode_id::<16>(v, "trace id") {
                    r.trace_id = TraceId(b);
                }
            }
            "Span ID" => {
                if let Ok(b) = crate::model::decode_id::<8>(v, "span id") {
                    r.span_id = SpanId(b);
                }
            }
            _ => {}
        }
    }

    /// Ends the record being read: kept if it names a span.
    fn finish(&mut self, batch: &mut Batch) {
        let Some(mut r) = self.record.take() else {
            return;
        };
        if r.trace_id.0 == [0; 16] || r.span_id.0 == [0; 8] {
            return;
        }
        if r.name.is_empty() {
            r.name = super::otlp_logs::name_from_attrs(&r.attrs);
        }
        batch.log_events.push(r);
    }
}

/// A span being read, with its attributes, events and links.
#[derive(Default)]
struct Pending {
    span: Span,
    attrs: Vec<Attr>,
    events: Vec<(Event, Vec<Attr>)>,
    links: Vec<(Link, Vec<Attr>)>,
    started: bool,
}

/// Decodes debug-exporter text.
/// Several threads each read a run of whole `ResourceSpans` blocks.
pub fn decode(buf: &[u8], source: u32, name: &str) -> Decoded {
    let text = String::from_utf8_lossy(buf);
    let threads = std::thread::available_parallelism()
        .map_or(1, |n| n.get())
        .clamp(1, 8)
        .min(buf.len() / (4 << 20) + 1);
    let parts = block_runs(&text, threads);
    let results: Vec<Part> = std::thread::scope(|scope| {
        let handles: Vec<_> = parts
            .iter()
            .map(|&(start, end, line_base)| {
                let piece = &text[start..end];
                scope.spawn(move || decode_part(piece, line_base, source))
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().unwrap_or_default())
            .collect()
    });
    let mut batches = Vec::with_capacity(results.len());
    let mut problems = Vec::new();
    let (mut unplaced, mut first_unplaced) = (0usize, 0usize);
    for p in results {
        if first_unplaced == 0 {
            first_unplaced = p.first_unplaced;
        }
        unplaced += p.unplaced;
        problems.extend(p.problems);
        batches.push(p.batch);
    }
    if unplaced > 0 {
        problems.push(format!(
            "{unplaced} attribute lines outside any resource, span, event or link (first at line {first_unplaced}); skipped"
        ));
    }
    let mut warnings = super::cap_warnings(problems, name);
    if !buf.ends_with(b"\n") && !buf.is_empty() {
        // A log always ends its lines; this one was cut in the middle of one.
        let line = buf.iter().filter(|&&b| b == b'\n').count() as u64 + 1;
        let spans: usize = batches.iter().map(|b| b.spans.len()).sum();
        warnings.insert(
            0,
            Warning {
                source: name.to_owned(),
                position: Position::Line { line, column: 1 },
                message: format!(
                    "the input ends part way through line {line}; the last span ({spans} read) may be incomplete"
                ),
            },
        );
    }
    if let Some(b) = batches.first_mut() {
        b.warnings = warnings;
    }
    Decoded::new(batches, true, "collector debug text")
}

/// Up to `parts` runs of the text `(start, end, lines before start)`, each cut just
/// before a line holding `ResourceSpans #`, so every run holds whole blocks.
fn block_runs(text: &str, parts: usize) -> Vec<(usize, usize, usize)> {
    let b = text.as_bytes();
    let finder = memchr::memmem::Finder::new(b"ResourceSpans #");
    let mut cuts = vec![0usize];
    for k in 1..parts {
        let target = (b.len() * k / parts).max(cuts.last().copied().unwrap_or(0) + 1);
        let Some(at) = b.get(target..).and_then(|rest| finder.find(rest)) else {
            break;
        };
        let at = target + at;
        let line_start = b[..at]
            .iter()
            .rposition(|&c| c == b'\n')
            .map_or(0, |p| p + 1);
        if line_start > *cuts.last().unwrap_or(&0) {
            cuts.push(line_start);
        }
    }
    cuts.push(b.len());
    let mut line_base = 0;
    let mut out = Vec::with_capacity(cuts.len());
    for w in cuts.windows(2) {
        out.push((w[0], w[1], line_base));
        line_base += memchr::memchr_iter(b'\n', &b[w[0]..w[1]]).count();
    }
    out
}

/// What one run of blocks read to.
#[derive(Default)]
struct Part {
    batch: Batch,
    problems: Vec<String>,
    unplaced: usize,
    first_unplaced: usize,
}

fn decode_part(text: &str, line_base: usize, source: u32) -> Part {
    let mut batch = Batch::for_input(text.len());
    let mut mode = Mode::None;
    let mut resource_attrs: Vec<Attr> = Vec::new();
    let (mut resource, mut scope) = (u32::MAX, u32::MAX);
    let mut cur = Pending::default();
    let mut logs = LogBlock::default();
    let (mut unplaced, mut first_unplaced) = (0usize, 0usize);
    let mut problems = Vec::new();

    let flush = |batch: &mut Batch, cur: &mut Pending, problems: &mut Vec<String>| {
        let p = std::mem::take(cur);
        if !p.started {
            return;
        }
        let mut s = p.span;
        if s.trace_id.0 == [0; 16] || s.span_id.0 == [0; 8] {
            problems.push("a span without a readable Trace ID or ID; skipped".into());
            return;
        }
        let a0 = batch.attrs.len();
        batch.attrs.extend(p.attrs);
        s.attrs = batch.attrs_since(a0);
        let e0 = batch.events.len();
        for (mut e, attrs) in p.events {
            let a0 = batch.attrs.len();
            batch.attrs.extend(attrs);
            e.attrs = batch.attrs_since(a0);
            batch.events.push(e);
        }
        s.events = batch.events_since(e0);
        let l0 = batch.links.len();
        for (mut l, attrs) in p.links {
            let a0 = batch.attrs.len();
            batch.attrs.extend(attrs);
            l.attrs = batch.attrs_since(a0);
            batch.links.push(l);
        }
        s.links = batch.links_since(l0);
        batch.spans.push(s);
    };

    for (n, raw) in logical_lines(text) {
        let n = n + line_base;
        let raw = raw.as_ref();
        // A log prefix before a block's first line: keep from the marker on.
        let line = ["ResourceSpans #", "ResourceLog #", "ResourceMetrics #"]
            .iter()
            .find_map(|m| raw.find(m).map(|at| &raw[at..]))
            .unwrap_or(raw);
        let t = line.trim();
        if t.is_empty() {
            continue;
        }
        if t.starts_with("ResourceSpans #") {
            flush(&mut batch, &mut cur, &mut problems);
            logs.finish(&mut batch);
            mode = Mode::None;
            resource = u32::MAX;
            scope = u32::MAX;
            resource_attrs.clear();
            continue;
        }
        if t.starts_with("ResourceLog #") || t.starts_with("ResourceLogs #") {
            flush(&mut batch, &mut cur, &mut problems);
            logs.finish(&mut batch);
            mode = Mode::Logs;
            continue;
        }
        if t.starts_with("ResourceMetrics #") {
            flush(&mut batch, &mut cur, &mut problems);
            logs.finish(&mut batch);
            mode = Mode::Skip;
            continue;
        }
        if mode == Mode::Skip {
            continue;
        }
        if mode == Mode::Logs {
            logs.line(t, &mut batch);
            continue;
        }
        if t.starts_with("Resource attributes:") || t.starts_with("Resource labels:") {
            mode = Mode::Resource;
            continue;
        }
        if t.starts_with("ScopeSpans #") || t.starts_with("InstrumentationLibrarySpans #") {
            flush(&mut batch, &mut cur, &mut problems);
            mode = Mode::None;
            scope = u32::MAX;
            continue;
        }
        if let Some(rest) = t
            .strip_prefix("InstrumentationScope ")
            .or_else(|| t.strip_prefix("InstrumentationLibrary "))
        {
            let mut parts = rest.split_whitespace();
            let (sn, sv) = (parts.next().unwrap_or(""), parts.next().unwrap_or(""));
            let (sn, sv) = (batch.strings.intern(sn), batch.strings.intern(sv));
            scope = batch.scopes.len() as u32;
            batch.scopes.push(Scope {
                name: sn,
                version: sv,
                attrs: Slice::default(),
                dropped: 0,
            });
            continue;
        }
        if t.starts_with("Span #") {
            flush(&mut batch, &mut cur, &mut problems);
            if resource == u32::MAX {
                let a0 = batch.attrs.len();
                let svc_key = batch.strings.lookup("service.name");
                let service = resource_attrs
                    .iter()
                    .find(|a| Some(a.key) == svc_key)
                    .and_then(|a| a.value.as_str(&batch.strings).map(str::to_owned))
                    .unwrap_or_default();
                batch.attrs.extend(resource_attrs.iter().cloned());
                let service = batch.strings.intern(&service);
                resource = batch.resources.len() as u32;
                batch.resources.push(Resource {
                    service,
                    attrs: batch.attrs_since(a0),
                    dropped: 0,
                });
            }
            if scope == u32::MAX {
                scope = batch.scopes.len() as u32;
                batch.scopes.push(Scope::default());
            }
            cur.started = true;
            cur.span.resource = resource;
            cur.span.scope = scope;
            cur.span.source = source;
            cur.span.parent_span_id = SpanId::NONE;
            mode = Mode::None;
            continue;
        }
        match t {
            "Attributes:" => {
                mode = Mode::Span;
                continue;
            }
            "Events:" | "Links:" => {
                mode = Mode::None;
                continue;
            }
            _ => {}
        }
        if t.starts_with("SpanEvent #") {
            cur.events.push((Event::default(), Vec::new()));
            mode = Mode::EventHead;
            continue;
        }
        if t.starts_with("SpanLink #") {
            cur.links.push((Link::default(), Vec::new()));
            mode = Mode::LinkHead;
            continue;
        }
        if let Some(kv) = t.strip_prefix("->") {
            let kv = kv.trim();
            let (k, v) = kv.split_once(':').map_or((kv, ""), |(k, v)| (k.trim(), v));
            let v = v.strip_prefix(' ').unwrap_or(v);
            match mode {
                Mode::EventHead => {
                    if let Some((e, _)) = cur.events.last_mut() {
                        match k {
                            "Name" => e.name = batch.strings.intern(v.trim()),
                            "Timestamp" => e.time = parse_time(v).unwrap_or(0),
                            "DroppedAttributesCount" => e.dropped = v.trim().parse().unwrap_or(0),
                            "Attributes:" | "Attributes" => mode = Mode::EventAttrs,
                            _ => {}
                        }
                    }
                    continue;
                }
                Mode::LinkHead => {
                    if let Some((l, _)) = cur.links.last_mut() {
                        match k {
                            "Trace ID" => {
                                if let Ok(b) = crate::model::decode_id::<16>(v.trim(), "trace id") {
                                    l.trace_id = TraceId(b)
                                }
                            }
                            "ID" => {
                                if let Ok(b) = crate::model::decode_id::<8>(v.trim(), "span id") {
                                    l.span_id = SpanId(b)
                                }
                            }
                            "TraceState" => l.trace_state = batch.strings.intern(v.trim()),
                            "DroppedAttributesCount" => l.dropped = v.trim().parse().unwrap_or(0),
                            "Attributes:" | "Attributes" => mode = Mode::LinkAttrs,
                            _ => {}
                        }
                    }
                    continue;
                }
                _ => {}
            }
            let key = batch.strings.intern(k);
            let value = parse_value(&mut batch, v);
            let attr = Attr { key, value };
            match mode {
                Mode::Resource => resource_attrs.push(attr),
                Mode::Span if cur.started => cur.attrs.push(attr),
                Mode::EventAttrs => {
                    if let Some((_, a)) = cur.events.last_mut() {
                        a.push(attr)
                    }
                }
                Mode::LinkAttrs => {
                    if let Some((_, a)) = cur.links.last_mut() {
                        a.push(attr)
                    }
                }
                _ => {
                    unplaced += 1;
                    if unplaced == 1 {
                        first_unplaced = n;
                    }
                }
            }
            continue;
        }
        // `Field : value` lines of a span.
        if cur.started
            && let Some((k, v)) = t.split_once(':')
        {
            let (k, v) = (k.trim(), v.trim());
            let known = match k {
                "Trace ID" => {
                    if let Ok(b) = crate::model::decode_id::<16>(v, "trace id") {
                        cur.span.trace_id = TraceId(b)
                    }
                    true
                }
                "Parent ID" => {
                    if let Ok(b) = crate::model::decode_id::<8>(v, "span id") {
                        cur.span.parent_span_id = SpanId(b)
                    }
                    true
                }
                "ID" => {
                    if let Ok(b) = crate::model::decode_id::<8>(v, "span id") {
                        cur.span.span_id = SpanId(b)
                    }
                    true
                }
                "Name" => {
                    cur.span.name = batch.strings.intern(v);
                    true
                }
                "Kind" => {
                    cur.span.kind = kind_of(v);
                    true
                }
                "Start time" => {
                    cur.span.start = parse_time(v).unwrap_or(0);
                    true
                }
                "End time" => {
                    cur.span.end = parse_time(v).unwrap_or(0);
                    true
                }
                "Status code" => {
                    cur.span.status = StatusCode::from_name(v).unwrap_or(StatusCode::Unset);
                    true
                }
                "Status message" => {
                    cur.span.status_message = batch.strings.intern(v);
                    true
                }
                "TraceState" => {
                    cur.span.trace_state = batch.strings.intern(v);
                    true
                }
                "Flags" => {
                    cur.span.flags = v.parse().unwrap_or(0);
                    true
                }
                "DroppedAttributesCount" | "DroppedEventsCount" | "DroppedLinksCount" => true,
                _ => false,
            };
            if known {
                continue;
            }
        }
        // Schema URLs, exporter summary lines, the collector's own log lines: nothing
        // to place, nothing lost.
    }
    flush(&mut batch, &mut cur, &mut problems);
    logs.finish(&mut batch);
    Part {
        batch,
        problems,
        unplaced,
        first_unplaced,
    }
}

#[cfg(test)]
mod tests {
    use super::{block_runs, parse_time};

    #[test]
    fn runs_start_at_resource_spans_lines_and_count_lines_before() {
        let block = "2025-01-15T08:46:23.229Z\tinfo\tResourceSpans #0\nResource attributes:\n     -> a: Str(b)\n";
        let text = block.repeat(40);
        let runs = block_runs(&text, 4);
        assert_eq!(runs.len(), 4);
        assert_eq!(runs.first().map(|r| r.0), Some(0));
        assert_eq!(runs.last().map(|r| r.1), Some(text.len()));
        for w in runs.windows(2) {
            assert_eq!(w[0].1, w[1].0, "contiguous");
            assert!(text[w[1].0..].starts_with("2025-01-15T08:46:23.229Z\tinfo\tResourceSpans #0"));
            assert_eq!(w[1].2, text[..w[1].0].matches('\n').count());
        }
    }

    #[test]
    fn times_with_nanoseconds_and_offsets() {
        assert_eq!(
            parse_time("2025-11-21 03:12:00.000000001 +0000 UTC"),
            Some(1_763_694_720_000_000_001)
        );
        assert_eq!(
            parse_time("2025-11-21 04:12:00.5 +0100 CET"),
            Some(1_763_694_720_500_000_000)
        );
        assert_eq!(parse_time("1970-01-01 00:00:00 +0000 UTC"), Some(0));
        assert_eq!(parse_time("garbage"), None);
    }
}
