//! A batch is what one decoder run produces: spans with their attributes, events and
//! links in flat arenas and a private string table. Batches decoded on different threads
//! are merged into one [`TraceSet`](super::TraceSet).

use super::intern::{Interner, Sym};
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

impl Batch {
    /// Appends `other` after this batch's spans, as if one decoder had read both in
    /// order: its strings interned into this table, its arena offsets shifted. How the
    /// pieces of a large file are joined as they are decoded, so they are not all
    /// held at once beside the set built from them. Duplicates are not folded here
    /// (the set's build does that, in order, as it would across batches).
    pub fn absorb(&mut self, other: Batch) {
        self.revises |= other.revises;
        let rest = append_remapped(
            Arenas {
                strings: &mut self.strings,
                spans: &mut self.spans,
                attrs: &mut self.attrs,
                events: &mut self.events,
                links: &mut self.links,
                resources: &mut self.resources,
                scopes: &mut self.scopes,
            },
            other,
        );
        self.warnings.extend(rest.warnings);
        self.log_events.extend(rest.log_events);
    }
}

/// The tables a batch's handles point into: where [`append_remapped`] copies to (a
/// batch's own, or a set's).
pub(super) struct Arenas<'a> {
    pub strings: &'a mut Interner,
    pub spans: &'a mut Vec<Span>,
    pub attrs: &'a mut Vec<Attr>,
    pub events: &'a mut Vec<Event>,
    pub links: &'a mut Vec<Link>,
    pub resources: &'a mut Vec<Resource>,
    pub scopes: &'a mut Vec<Scope>,
}

/// What [`append_remapped`] leaves to its caller.
pub(super) struct Leftover {
    pub warnings: Vec<Warning>,
    pub log_events: Vec<LogEvent>,
}

/// Appends `batch`'s spans, attributes, events, links, resources and scopes to `to`,
/// its strings interned into `to.strings` and every handle and offset rewritten to
/// point there. The spans are appended as they are (no folding of duplicates).
pub(super) fn append_remapped(to: Arenas<'_>, batch: Batch) -> Leftover {
    let Batch {
        strings,
        spans,
        attrs,
        events,
        links,
        resources,
        scopes,
        warnings,
        log_events,
        revises: _,
    } = batch;
    let map: Vec<Sym> = (0..strings.len() as u32)
        .map(|i| to.strings.intern(strings.get(Sym(i))))
        .collect();
    let text_off = to.strings.append_texts(&strings);
    drop(strings);
    let remap = |s: Sym| map[s.0 as usize];
    let shift = |s: Slice, by: usize| Slice {
        start: s.start + by as u32,
        len: s.len,
    };
    let (attr_off, event_off, link_off) = (to.attrs.len(), to.events.len(), to.links.len());
    let (res_off, scope_off) = (to.resources.len() as u32, to.scopes.len() as u32);
    to.attrs.extend(attrs.into_iter().map(|mut a| {
        a.key = remap(a.key);
        a.value.remap(&map, text_off);
        a
    }));
    to.events.extend(events.into_iter().map(|mut e| {
        e.name = remap(e.name);
        e.attrs = shift(e.attrs, attr_off);
        e
    }));
    to.links.extend(links.into_iter().map(|mut l| {
        l.trace_state = remap(l.trace_state);
        l.attrs = shift(l.attrs, attr_off);
        l
    }));
    to.resources.extend(resources.into_iter().map(|mut r| {
        r.service = remap(r.service);
        r.attrs = shift(r.attrs, attr_off);
        r
    }));
    to.scopes.extend(scopes.into_iter().map(|mut s| {
        s.name = remap(s.name);
        s.version = remap(s.version);
        s.attrs = shift(s.attrs, attr_off);
        s
    }));
    to.spans.extend(spans.into_iter().map(|mut span| {
        span.name = remap(span.name);
        span.status_message = remap(span.status_message);
        span.trace_state = remap(span.trace_state);
        span.resource += res_off;
        span.scope += scope_off;
        span.attrs = shift(span.attrs, attr_off);
        span.events = shift(span.events, event_off);
        span.links = shift(span.links, link_off);
        span
    }));
    Leftover {
        warnings,
        log_events,
    }
}
