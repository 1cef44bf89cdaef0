//! A batch is what one decoder run produces: spans with their attributes, events and
//! links in flat arenas and a private string table. Batches decoded on different threads
//! are merged into one [`TraceSet`](super::TraceSet).

use super::intern::Interner;
use super::span::{Event, Link, Resource, Scope, Slice, Span};
use super::value::Attr;
use super::warning::Warning;

/// Decoded spans from one piece of input.
#[derive(Clone, Debug, Default)]
pub struct Batch {
    /// The batch's own string table.
    pub strings: Interner,
    /// Spans.
    pub spans: Vec<Span>,
    /// Attribute arena (spans, events, links, resources and scopes point into it).
    pub attrs: Vec<Attr>,
    /// Event arena.
    pub events: Vec<Event>,
    /// Link arena.
    pub links: Vec<Link>,
    /// Resources.
    pub resources: Vec<Resource>,
    /// Scopes.
    pub scopes: Vec<Scope>,
    /// Problems met while decoding.
    pub warnings: Vec<Warning>,
    /// Log records tied to a span (GenAI content events), attached to their spans
    /// once every input is in.
    pub log_events: Vec<LogEvent>,
    /// Its spans are fuller copies of spans delivered before from the same input (a
    /// stream's block decoded at a quiet spell, then again once complete): they
    /// replace those copies instead of being merged in as duplicates.
    pub revises: bool,
}

/// A log record tied to a span by its trace and span id: becomes an event of that span.
#[derive(Debug, Clone)]
pub struct LogEvent {
    /// The span's trace.
    pub trace_id: super::TraceId,
    /// The span.
    pub span_id: super::SpanId,
    /// Unix nanoseconds.
    pub time: u64,
    /// The event name (`gen_ai.user.message`…).
    pub name: String,
    /// Its attributes and the fields of its body, as OTLP/JSON `AnyValue`s.
    pub attrs: Vec<(String, serde_json::Value)>,
}

/// Arena lengths at one moment, to undo a partly decoded span.
#[derive(Clone, Copy, Debug)]
pub struct Checkpoint {
    spans: usize,
    attrs: usize,
    events: usize,
    links: usize,
}

impl Batch {
    /// An empty batch with room for what `input_bytes` of OTLP/JSON usually holds.
    /// Growing a large vector by doubling copies it while both copies are alive, which
    /// would raise peak memory; reserving up front avoids that, and capacity that is
    /// never written is never touched, so it costs address space, not memory.
    pub fn for_input(input_bytes: usize) -> Batch {
        let mut b = Batch::default();
        b.spans.reserve(input_bytes / 400);
        b.attrs.reserve(input_bytes / 60);
        b.events.reserve(input_bytes / 2000);
        b.strings.reserve_texts(input_bytes / 3);
        b.strings.reserve(input_bytes / 500);
        b
    }

    /// Remembers the arena lengths.
    pub fn checkpoint(&self) -> Checkpoint {
        Checkpoint {
            spans: self.spans.len(),
            attrs: self.attrs.len(),
            events: self.events.len(),
            links: self.links.len(),
        }
    }

    /// Drops everything added since `cp` (strings stay; they are harmless).
    pub fn rollback(&mut self, cp: Checkpoint) {
        self.spans.truncate(cp.spans);
        self.attrs.truncate(cp.attrs);
        self.events.truncate(cp.events);
        self.links.truncate(cp.links);
    }

    /// The slice of attributes added since `start`.
    pub fn attrs_since(&self, start: usize) -> Slice {
        Slice {
            start: start as u32,
            len: (self.attrs.len() - start) as u32,
        }
    }

    /// The slice of events added since `start`.
    pub fn events_since(&self, start: usize) -> Slice {
        Slice {
            start: start as u32,
            len: (self.events.len() - start) as u32,
        }
    }

    /// The slice of links added since `start`.
    pub fn links_since(&self, start: usize) -> Slice {
        Slice {
            start: start as u32,
            len: (self.links.len() - start) as u32,
        }
    }
}
