//! The layouts of span-shaped JSON that `flat` reads, as data: how each is told from
//! the others by the fields of its first record, and which fields (dotted paths,
//! aliases best first) hold each part of a span. A new layout is an entry here and a
//! fixture, not a reader. `agtrace help formats` and README list them from here.

use super::borrowed_json::Json;

/// How a layout writes a span kind as a number.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KindNumbers {
    /// OTLP's: 1 internal … 5 consumer.
    Otlp,
    /// The JavaScript SDK's enum: 0 internal … 4 consumer.
    ZeroBased,
}

/// How a layout writes a time or a duration that is a plain number.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unit {
    /// Told by its size: ns, µs, ms or s since the epoch (a duration: ns).
    BySize,
    /// Microseconds (the JS console exporter's `timestamp` and `duration`).
    Micros,
}

/// One layout of span records.
#[derive(Debug)]
pub struct Layout {
    /// Its name in messages and `ls --json`'s format.
    pub name: &'static str,
    /// Where it comes from, for `help formats`.
    pub from: &'static str,
    /// It is this layout when the first record has every path of one of these sets
    /// (a path present with `null` counts).
    pub marks: &'static [&'static [&'static str]],
    /// The trace id.
    pub trace_id: &'static [&'static str],
    /// The span id.
    pub span_id: &'static [&'static str],
    /// The parent's span id (absent, `null` or all zeros: a root).
    pub parent_id: &'static [&'static str],
    /// The span name.
    pub span_name: &'static [&'static str],
    /// The span kind: a name (`SERVER`, `SpanKind.CLIENT`, `client`) or a number.
    pub kind: &'static [&'static str],
    /// How numeric kinds count.
    pub kind_numbers: KindNumbers,
    /// Start and end: integers, floats, numeric strings, ISO-8601, `[s, ns]`.
    pub start: &'static [&'static str],
    /// The end time.
    pub end: &'static [&'static str],
    /// The duration, where there is no end time.
    pub duration: &'static [&'static str],
    /// How plain numbers in `start`, `end` and `duration` count.
    pub unit: Unit,
    /// The status code: 0/1/2, `OK`, `ERROR`, `STATUS_CODE_ERROR`, `StatusCode.ERROR`,
    /// `ok`, `error`, `unset`.
    pub status_code: &'static [&'static str],
    /// The status message.
    pub status_message: &'static [&'static str],
    /// The attributes: a flat object, OTLP's key/value list, `[key, value]` pairs or
    /// Jaeger tags.
    pub attributes: &'static [&'static str],
    /// The resource's attributes (the same shapes).
    pub resource: &'static [&'static str],
    /// The instrumentation scope (`{name, version}`).
    pub scope: &'static [&'static str],
    /// The events (`name`, a time, `attributes`).
    pub events: &'static [&'static str],
    /// The OpenInference span kind, where the layout keeps it outside the attributes.
    pub openinference_kind: &'static [&'static str],
}

const TIME_NAMES: &[&str] = &["time", "timestamp", "time_unix_nano", "timeUnixNano"];

/// Where an event's time is.
pub fn event_time() -> &'static [&'static str] {
    TIME_NAMES
}

const STATUS_CODE: &[&str] = &[
    "status.code",
    "status.status_code",
    "status_code",
    "statusCode",
    "status",
];
const STATUS_MESSAGE: &[&str] = &[
    "status.message",
    "status.description",
    "status_message",
    "statusMessage",
];
const RESOURCE: &[&str] = &[
    "resource.attributes",
    "resource._attributes",
    "resource._rawAttributes",
    "resource",
    "resource_attributes",
];
const SCOPE: &[&str] = &[
    "scope",
    "instrumentation_scope",
    "instrumentationScope",
    "instrumentationLibrary",
    "instrumentation_library",
];

/// Every layout, in the order they are tried.
pub const LAYOUTS: &[Layout] = &[
    Layout {
        name: "any-agent trace",
        from: "mozilla-ai any-agent's AgentTrace JSON: `spans` with `context` and `parent` objects whose ids are decimal integers up to 2^128, lowercase kinds and status codes",
        marks: &[&["context.span_id", "parent"]],
        trace_id: &["context.trace_id"],
        span_id: &["context.span_id"],
        parent_id: &["parent.span_id"],
        span_name: &["name"],
        kind: &["kind"],
        kind_numbers: KindNumbers::Otlp,
        start: &["start_time"],
        end: &["end_time"],
        duration: &[],
        unit: Unit::BySize,
        status_code: STATUS_CODE,
        status_message: STATUS_MESSAGE,
        attributes: &["attributes"],
        resource: RESOURCE,
        scope: SCOPE,
        events: &["events"],
        openinference_kind: &[],
    },
    Layout {
        name: "Phoenix span JSON",
        from: "Arize Phoenix's span JSON: `context` ids (hex or not), `parent_id`, `span_kind` (the OpenInference kind), `status_code`, `status_message`",
        marks: &[
            &["context", "span_kind"],
            &["span_id", "span_kind"],
            &["context", "openinference.span.kind"],
        ],
        trace_id: &["context.trace_id", "trace_id"],
        span_id: &["context.span_id", "span_id"],
        parent_id: &["parent_id", "parent_span_id"],
        span_name: &["name"],
        kind: &["kind"],
        kind_numbers: KindNumbers::Otlp,
        start: &["start_time"],
        end: &["end_time"],
        duration: &[],
        unit: Unit::BySize,
        status_code: STATUS_CODE,
        status_message: STATUS_MESSAGE,
        attributes: &["attributes"],
        resource: RESOURCE,
        scope: SCOPE,
        events: &["events", "span_events"],
        openinference_kind: &["span_kind", "openinference.span.kind"],
    },
    Layout {
        name: "Python console exporter",
        from: "the Python SDK's ConsoleSpanExporter: objects one after another, ids in `context` with `0x`, ISO times, `SpanKind.CLIENT` (a span printed unfinished and again finished: the copies merge)",
        marks: &[&["context.span_id"]],
        trace_id: &["context.trace_id"],
        span_id: &["context.span_id"],
        parent_id: &["parent_id"],
        span_name: &["name"],
        kind: &["kind"],
        kind_numbers: KindNumbers::Otlp,
        start: &["start_time"],
        end: &["end_time"],
        duration: &[],
        unit: Unit::BySize,
        status_code: STATUS_CODE,
        status_message: STATUS_MESSAGE,
        attributes: &["attributes"],
        resource: RESOURCE,
        scope: SCOPE,
        events: &["events"],
        openinference_kind: &[],
    },
    Layout {
        name: "OpenTelemetry JS ReadableSpan",
        from: "spans as the JS SDK holds them (InMemorySpanExporter, JSON.stringify): `_spanContext`/`spanContext`, `parentSpanContext` or `parentSpanId`, times as `[seconds, nanos]`, the JS kind enum, `instrumentationScope`/`instrumentationLibrary`, `resource._rawAttributes`",
        marks: &[&["_spanContext"], &["spanContext"]],
        trace_id: &["_spanContext.traceId", "spanContext.traceId", "traceId"],
        span_id: &["_spanContext.spanId", "spanContext.spanId", "spanId"],
        parent_id: &[
            "parentSpanContext.spanId",
            "_parentSpanContext.spanId",
            "parentSpanId",
            "parentId",
        ],
        span_name: &["name"],
        kind: &["kind"],
        kind_numbers: KindNumbers::ZeroBased,
        start: &["startTime", "_startTime", "startTimestamp"],
        end: &["endTime", "_endTime", "endTimestamp"],
        duration: &["duration", "_duration"],
        unit: Unit::BySize,
        status_code: STATUS_CODE,
        status_message: STATUS_MESSAGE,
        attributes: &["attributes", "_attributes"],
        resource: RESOURCE,
        scope: SCOPE,
        events: &["events"],
        openinference_kind: &[],
    },
    Layout {
        name: "Node console exporter",
        from: "the JS SDK's ConsoleSpanExporter as JSON (or as printed by console.dir, read by `node_console`): `traceId`, `id`, `parentId` or `parentSpanContext`, the JS kind enum, `timestamp` and `duration` in microseconds",
        marks: &[
            &["traceId", "id", "timestamp", "instrumentationScope"],
            &["traceId", "id", "timestamp", "instrumentationLibrary"],
            &["traceId", "id", "timestamp", "parentSpanContext"],
            &["traceId", "id", "timestamp", "parentId"],
        ],
        trace_id: &["traceId"],
        span_id: &["id"],
        parent_id: &["parentSpanContext.spanId", "parentId", "parentSpanId"],
        span_name: &["name"],
        kind: &["kind"],
        kind_numbers: KindNumbers::ZeroBased,
        start: &["timestamp"],
        end: &[],
        duration: &["duration"],
        unit: Unit::Micros,
        status_code: STATUS_CODE,
        status_message: STATUS_MESSAGE,
        attributes: &["attributes"],
        resource: RESOURCE,
        scope: SCOPE,
        events: &["events"],
        openinference_kind: &[],
    },
    Layout {
        name: "flat span records",
        from: "a list of spans (or `{\"spans\": […]}`, or JSON Lines) each with its ids, times and a flat attribute map, as evaluation tools (strands-evals) and the AWS ADOT / CloudWatch `aws/spans` group write them",
        marks: &[&["trace_id", "span_id"], &["traceId", "spanId"]],
        trace_id: &["trace_id", "traceId", "context.trace_id", "context.traceId"],
        span_id: &["span_id", "spanId", "context.span_id", "context.spanId"],
        parent_id: &[
            "parent_span_id",
            "parentSpanId",
            "parent_id",
            "parentId",
            "parent.span_id",
        ],
        span_name: &["name", "span_name", "operation_name"],
        kind: &["kind", "span_kind"],
        kind_numbers: KindNumbers::Otlp,
        start: &[
            "start_time",
            "startTimeUnixNano",
            "start_time_unix_nano",
            "startTime",
            "start_timestamp",
        ],
        end: &[
            "end_time",
            "endTimeUnixNano",
            "end_time_unix_nano",
            "endTime",
            "end_timestamp",
        ],
        duration: &["duration_ns", "durationNano"],
        unit: Unit::BySize,
        status_code: STATUS_CODE,
        status_message: STATUS_MESSAGE,
        attributes: &["attributes", "span_attributes"],
        resource: RESOURCE,
        scope: SCOPE,
        events: &["span_events", "events"],
        openinference_kind: &[],
    },
];

/// The layout of a record: the first whose marks it carries.
pub fn of(record: &Json<'_>) -> Option<&'static Layout> {
    LAYOUTS
        .iter()
        .find(|l| l.marks.iter().any(|set| set.iter().all(|p| has(record, p))))
}

/// True when the record has `path` (dotted), even as `null`.
fn has(record: &Json<'_>, path: &str) -> bool {
    if record.get(path).is_some() {
        return true;
    }
    let mut v = record;
    for part in path.split('.') {
        match v.get(part) {
            Some(x) => v = x,
            None => return false,
        }
    }
    true
}

/// The value at the first of `paths` (dotted) that the record has and is not `null`.
pub fn get<'r, 'a>(record: &'r Json<'a>, paths: &[&str]) -> Option<&'r Json<'a>> {
    paths.iter().find_map(|p| {
        // A key with dots in it (`openinference.span.kind`) first, then the path.
        let v = match record.get(p) {
            Some(v) => v,
            None => {
                let mut v = record;
                for part in p.split('.') {
                    v = v.get(part)?;
                }
                v
            }
        };
        (!v.is_null()).then_some(v)
    })
}

/// `help formats`' lines on the layouts: each with where it comes from, the fields
/// that tell it and the fields its ids and times are read from.
pub fn describe() -> Vec<String> {
    let mut out = Vec::new();
    for l in LAYOUTS {
        let marks: Vec<String> = l.marks.iter().map(|set| set.join(" + ")).collect();
        out.push(format!("  {}: {}", l.name, l.from));
        out.push(format!("    told by {}", marks.join(" | ")));
        out.push(format!(
            "    ids {} / {} / parent {}; times {} … {}",
            l.trace_id.join(","),
            l.span_id.join(","),
            l.parent_id.join(","),
            l.start.join(","),
            if l.end.is_empty() {
                l.duration.join(",")
            } else {
                l.end.join(",")
            }
        ));
    }
    out
}
