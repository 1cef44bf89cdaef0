//! The span record as stored in the arena, plus the small enums and flags it carries.

use super::ids::{SpanId, TraceId};
use super::intern::Sym;

/// A range into one of the model's flat arenas (attributes, events, links, children).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Slice {
    /// First index.
    pub start: u32,
    /// Number of items.
    pub len: u32,
}

impl Slice {
    /// The range as `usize` bounds.
    pub fn range(self) -> std::ops::Range<usize> {
        self.start as usize..(self.start + self.len) as usize
    }
}

/// OTLP span kind.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum SpanKind {
    /// Not set (or not understood).
    #[default]
    Unspecified,
    /// Internal operation.
    Internal,
    /// Server side of a call.
    Server,
    /// Client side of a call.
    Client,
    /// Message producer.
    Producer,
    /// Message consumer.
    Consumer,
}

impl SpanKind {
    /// From the protobuf enum number; `None` for numbers outside the enum.
    pub fn from_i32(n: i64) -> Option<SpanKind> {
        Some(match n {
            0 => SpanKind::Unspecified,
            1 => SpanKind::Internal,
            2 => SpanKind::Server,
            3 => SpanKind::Client,
            4 => SpanKind::Producer,
            5 => SpanKind::Consumer,
            _ => return None,
        })
    }

    /// From the proto enum name (`SPAN_KIND_CLIENT`), also accepting the bare suffix.
    pub fn from_name(s: &str) -> Option<SpanKind> {
        let s = s.strip_prefix("SPAN_KIND_").unwrap_or(s);
        Some(match s.to_ascii_uppercase().as_str() {
            "UNSPECIFIED" => SpanKind::Unspecified,
            "INTERNAL" => SpanKind::Internal,
            "SERVER" => SpanKind::Server,
            "CLIENT" => SpanKind::Client,
            "PRODUCER" => SpanKind::Producer,
            "CONSUMER" => SpanKind::Consumer,
            _ => return None,
        })
    }

    /// Lower-case name for display and JSON.
    pub fn as_str(self) -> &'static str {
        match self {
            SpanKind::Unspecified => "unspecified",
            SpanKind::Internal => "internal",
            SpanKind::Server => "server",
            SpanKind::Client => "client",
            SpanKind::Producer => "producer",
            SpanKind::Consumer => "consumer",
        }
    }
}

/// OTLP status code.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default, PartialOrd, Ord)]
pub enum StatusCode {
    /// Not set.
    #[default]
    Unset,
    /// Explicitly OK.
    Ok,
    /// Failed.
    Error,
}

impl StatusCode {
    /// From the protobuf enum number.
    pub fn from_i32(n: i64) -> Option<StatusCode> {
        Some(match n {
            0 => StatusCode::Unset,
            1 => StatusCode::Ok,
            2 => StatusCode::Error,
            _ => return None,
        })
    }

    /// From the proto enum name (`STATUS_CODE_ERROR`), also accepting the bare suffix.
    pub fn from_name(s: &str) -> Option<StatusCode> {
        let s = s.strip_prefix("STATUS_CODE_").unwrap_or(s);
        Some(match s.to_ascii_uppercase().as_str() {
            "UNSET" => StatusCode::Unset,
            "OK" => StatusCode::Ok,
            "ERROR" => StatusCode::Error,
            _ => return None,
        })
    }

    /// Lower-case name.
    pub fn as_str(self) -> &'static str {
        match self {
            StatusCode::Unset => "unset",
            StatusCode::Ok => "ok",
            StatusCode::Error => "error",
        }
    }
}

/// Integrity marks set while building the tree.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Marks(pub u8);

impl Marks {
    /// The parent id is set but no span with that id arrived.
    pub const ORPHAN: u8 = 1;
    /// The span sat on a parent cycle; its parent link was cut to break it.
    pub const CYCLE_BROKEN: u8 = 2;
    /// Starts before or ends after its parent (clock skew between hosts).
    pub const CLOCK_SKEW: u8 = 4;
    /// No end time, or the end is before the start.
    pub const UNFINISHED: u8 = 8;
    /// The same trace and span id arrived more than once; the copies were merged.
    pub const DUPLICATE: u8 = 16;

    /// True when `flag` is set.
    pub fn has(self, flag: u8) -> bool {
        self.0 & flag != 0
    }

    /// Sets `flag`.
    pub fn set(&mut self, flag: u8) {
        self.0 |= flag;
    }

    /// Every mark with its short label, in display order.
    pub const LABELS: [(u8, &'static str); 5] = [
        (Marks::ORPHAN, "orphan"),
        (Marks::CYCLE_BROKEN, "cycle-broken"),
        (Marks::CLOCK_SKEW, "clock-skew"),
        (Marks::UNFINISHED, "unfinished"),
        (Marks::DUPLICATE, "duplicate"),
    ];

    /// Short labels of the marks that are set.
    pub fn labels(self) -> Vec<&'static str> {
        Marks::LABELS
            .iter()
            .filter(|(f, _)| self.has(*f))
            .map(|(_, l)| *l)
            .collect()
    }
}

/// Sentinel for "no index".
pub const NONE: u32 = u32::MAX;

/// One span in the arena. Fields above the divider come from the input; fields below
/// are derived when the [`TraceSet`](super::TraceSet) is built.
#[derive(Clone, Copy, Debug, Default)]
pub struct Span {
    /// Trace id.
    pub trace_id: TraceId,
    /// Span id.
    pub span_id: SpanId,
    /// Parent span id (`SpanId::NONE` for a root).
    pub parent_span_id: SpanId,
    /// Span name.
    pub name: Sym,
    /// Span kind.
    pub kind: SpanKind,
    /// Status code.
    pub status: StatusCode,
    /// Status message.
    pub status_message: Sym,
    /// Start, Unix nanoseconds.
    pub start: u64,
    /// End, Unix nanoseconds (0 when the span never ended).
    pub end: u64,
    /// W3C trace flags and the OTLP remote-context bits.
    pub flags: u32,
    /// W3C trace state.
    pub trace_state: Sym,
    /// Index into the resource table.
    pub resource: u32,
    /// Index into the scope table.
    pub scope: u32,
    /// Attributes.
    pub attrs: Slice,
    /// Events.
    pub events: Slice,
    /// Links.
    pub links: Slice,
    /// Dropped counts as reported by the producer: attributes, events, links.
    pub dropped: [u32; 3],
    /// Index of the input file the span came from.
    pub source: u32,
    // ---- derived ----
    /// Index of the trace in the set.
    pub trace: u32,
    /// Index of the parent span, or [`NONE`].
    pub parent: u32,
    /// Depth in the tree (0 for roots).
    pub depth: u32,
    /// Children (indices into the children arena), sorted by start time.
    pub children: Slice,
    /// Integrity marks.
    pub marks: Marks,
}

impl Span {
    /// Duration in nanoseconds; 0 when unfinished.
    pub fn duration_ns(&self) -> u64 {
        self.end.saturating_sub(self.start)
    }

    /// True when the span has a usable end time.
    pub fn is_finished(&self) -> bool {
        self.end != 0 && self.end >= self.start
    }
}

/// A span event.
#[derive(Clone, Debug, Default)]
pub struct Event {
    /// Time, Unix nanoseconds.
    pub time: u64,
    /// Event name.
    pub name: Sym,
    /// Attributes.
    pub attrs: Slice,
    /// Dropped attribute count.
    pub dropped: u32,
}

/// A span link.
#[derive(Clone, Debug, Default)]
pub struct Link {
    /// Linked trace.
    pub trace_id: TraceId,
    /// Linked span.
    pub span_id: SpanId,
    /// W3C trace state.
    pub trace_state: Sym,
    /// Attributes.
    pub attrs: Slice,
    /// Flags.
    pub flags: u32,
    /// Dropped attribute count.
    pub dropped: u32,
}

/// The resource (process) a span came from.
#[derive(Clone, Debug, Default)]
pub struct Resource {
    /// `service.name`, or empty.
    pub service: Sym,
    /// Attributes.
    pub attrs: Slice,
    /// Dropped attribute count.
    pub dropped: u32,
}

/// The instrumentation scope that produced a span.
#[derive(Clone, Debug, Default)]
pub struct Scope {
    /// Scope name.
    pub name: Sym,
    /// Scope version.
    pub version: Sym,
    /// Attributes.
    pub attrs: Slice,
    /// Dropped attribute count.
    pub dropped: u32,
}

#[cfg(test)]
mod tests {
    #[test]
    fn span_size() {
        println!("Span = {} bytes", std::mem::size_of::<super::Span>());
        assert!(std::mem::size_of::<super::Span>() <= 160);
    }
}
