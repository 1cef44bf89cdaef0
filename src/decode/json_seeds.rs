//! serde `DeserializeSeed`s for the OTLP/JSON mapping. They write straight into a
//! [`Batch`] while the bytes are parsed: no intermediate `Value` tree, strings borrowed
//! from the input where possible. Accepts lowerCamelCase and snake_case names, 64-bit
//! integers as strings or numbers, enums as numbers or names, ids as hex or base64, the
//! legacy `instrumentationLibrarySpans` and Tempo's `batches` layouts.

use crate::model::{
    Attr, AttrValue, Batch, Event, Interner, Link, Resource, Scope, Slice, Span, SpanId, SpanKind,
    StatusCode, Sym, decode_id,
};
use base64::Engine as _;
use serde::de::{self, DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use std::fmt;

/// Every object key the mapping uses, in either spelling.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Key {
    ResourceSpans,
    Resource,
    ScopeSpans,
    Scope,
    Spans,
    TraceId,
    SpanId,
    ParentSpanId,
    TraceState,
    Flags,
    Name,
    Kind,
    Start,
    End,
    Time,
    Attributes,
    DroppedAttributes,
    Events,
    DroppedEvents,
    Links,
    DroppedLinks,
    Status,
    Message,
    Code,
    Version,
    KvName,
    Value,
    Values,
    StringValue,
    BoolValue,
    IntValue,
    DoubleValue,
    BytesValue,
    ArrayValue,
    KvlistValue,
    OtherSignal,
    Other,
}

fn key_of(s: &str) -> Key {
    match s {
        "resourceSpans" | "resource_spans" | "batches" => Key::ResourceSpans,
        "resource" => Key::Resource,
        "scopeSpans"
        | "scope_spans"
        | "instrumentationLibrarySpans"
        | "instrumentation_library_spans" => Key::ScopeSpans,
        "scope" | "instrumentationLibrary" | "instrumentation_library" => Key::Scope,
        "spans" => Key::Spans,
        "traceId" | "trace_id" => Key::TraceId,
        "spanId" | "span_id" => Key::SpanId,
        "parentSpanId" | "parent_span_id" => Key::ParentSpanId,
        "traceState" | "trace_state" => Key::TraceState,
        "flags" => Key::Flags,
        "name" => Key::Name,
        "kind" => Key::Kind,
        "startTimeUnixNano" | "start_time_unix_nano" => Key::Start,
        "endTimeUnixNano" | "end_time_unix_nano" => Key::End,
        "timeUnixNano" | "time_unix_nano" => Key::Time,
        "attributes" => Key::Attributes,
        "droppedAttributesCount" | "dropped_attributes_count" => Key::DroppedAttributes,
        "events" => Key::Events,
        "droppedEventsCount" | "dropped_events_count" => Key::DroppedEvents,
        "links" => Key::Links,
        "droppedLinksCount" | "dropped_links_count" => Key::DroppedLinks,
        "status" => Key::Status,
        "message" => Key::Message,
        "code" => Key::Code,
        "version" => Key::Version,
        "key" => Key::KvName,
        "value" => Key::Value,
        "values" => Key::Values,
        "stringValue" | "string_value" => Key::StringValue,
        "boolValue" | "bool_value" => Key::BoolValue,
        "intValue" | "int_value" => Key::IntValue,
        "doubleValue" | "double_value" => Key::DoubleValue,
        "bytesValue" | "bytes_value" => Key::BytesValue,
        "arrayValue" | "array_value" => Key::ArrayValue,
        "kvlistValue" | "kvlist_value" => Key::KvlistValue,
        "resourceLogs" | "resource_logs" | "resourceMetrics" | "resource_metrics"
        | "resourceProfiles" | "resource_profiles" => Key::OtherSignal,
        _ => Key::Other,
    }
}

struct KeySeed;

impl<'de> DeserializeSeed<'de> for KeySeed {
    type Value = Key;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Key, D::Error> {
        d.deserialize_str(self)
    }
}

impl<'de> Visitor<'de> for KeySeed {
    type Value = Key;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("an object key")
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<Key, E> {
        Ok(key_of(v))
    }
}

/// Per-document decoding context shared by the seeds.
pub struct Sink<'a> {
    /// Where spans go.
    pub batch: &'a mut Batch,
    /// Index of the input in the set's source list.
    pub source: u32,
    /// True once a document with an OTLP top-level key was seen.
    pub recognized: bool,
    /// Spans rejected (unreadable ids and the like), with the reason.
    pub rejected: Vec<String>,
    /// Per-span problems that did not reject the span.
    pub notes: Vec<String>,
    /// Spans decoded so far (for messages).
    pub span_no: u64,
    cur_resource: u32,
    cur_scope: u32,
}

impl<'a> Sink<'a> {
    /// A sink writing into `batch`.
    pub fn new(batch: &'a mut Batch, source: u32) -> Self {
        Sink {
            batch,
            source,
            recognized: false,
            rejected: Vec::new(),
            notes: Vec::new(),
            span_no: 0,
            cur_resource: 0,
            cur_scope: 0,
        }
    }
}

/// One top-level JSON value: a document object, or an array of documents.
pub struct DocSeed<'s, 'a>(pub &'s mut Sink<'a>);

impl<'de> DeserializeSeed<'de> for DocSeed<'_, '_> {
    type Value = ();
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for DocSeed<'_, '_> {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("an OTLP TracesData object or an array of them")
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        while seq.next_element_seed(DocSeed(&mut *self.0))?.is_some() {}
        Ok(())
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        while let Some(key) = map.next_key_seed(KeySeed)? {
            match key {
                Key::ResourceSpans => {
                    self.0.recognized = true;
                    map.next_value_seed(ListOf(ResourceSpansSeed, &mut *self.0))?;
                }
                Key::OtherSignal => {
                    self.0.recognized = true;
                    map.next_value::<IgnoredAny>()?;
                }
                _ => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        Ok(())
    }
}

/// Something decoded element by element into the sink.
trait Element: Copy {
    fn decode<'de, A: MapAccess<'de>>(self, sink: &mut Sink, map: A) -> Result<(), A::Error>;
}

/// A JSON array (or `null`) of elements, each an object.
struct ListOf<'s, 'a, E>(E, &'s mut Sink<'a>);

impl<'de, E: Element> DeserializeSeed<'de> for ListOf<'_, '_, E> {
    type Value = ();
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de, E: Element> Visitor<'de> for ListOf<'_, '_, E> {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("an array of objects")
    }
    fn visit_unit<Er: de::Error>(self) -> Result<(), Er> {
        Ok(())
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        while seq.next_element_seed(One(self.0, &mut *self.1))?.is_some() {}
        Ok(())
    }
}

struct One<'s, 'a, E>(E, &'s mut Sink<'a>);

impl<'de, E: Element> DeserializeSeed<'de> for One<'_, '_, E> {
    type Value = ();
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de, E: Element> Visitor<'de> for One<'_, '_, E> {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("an object")
    }
    fn visit_unit<Er: de::Error>(self) -> Result<(), Er> {
        Ok(())
    }
    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<(), A::Error> {
        self.0.decode(self.1, map)
    }
}

#[derive(Clone, Copy)]
struct ResourceSpansSeed;

/// The elements of a `resourceSpans` array on their own (`[{…},{…}]`), for decoding a
/// slice of one large document on another thread.
pub struct ResourceSpansList<'s, 'a>(pub &'s mut Sink<'a>);

impl<'de> DeserializeSeed<'de> for ResourceSpansList<'_, '_> {
    type Value = ();
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        self.0.recognized = true;
        ListOf(ResourceSpansSeed, self.0).deserialize(d)
    }
}

impl Element for ResourceSpansSeed {
    fn decode<'de, A: MapAccess<'de>>(self, sink: &mut Sink, mut map: A) -> Result<(), A::Error> {
        let idx = sink.batch.resources.len() as u32;
        sink.batch.resources.push(Resource::default());
        while let Some(key) = map.next_key_seed(KeySeed)? {
            match key {
                Key::Resource => {
                    // The resource may come after its spans: they point at `idx` anyway.
                    let r = map.next_value_seed(ResourceSeed(&mut *sink.batch))?;
                    sink.batch.resources[idx as usize] = r;
                }
                Key::ScopeSpans => {
                    sink.cur_resource = idx;
                    map.next_value_seed(ListOf(ScopeSpansSeed, &mut *sink))?;
                }
                _ => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        Ok(())
    }
}

struct ResourceSeed<'b>(&'b mut Batch);

impl<'de> DeserializeSeed<'de> for ResourceSeed<'_> {
    type Value = Resource;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Resource, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for ResourceSeed<'_> {
    type Value = Resource;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a resource object")
    }
    fn visit_unit<E: de::Error>(self) -> Result<Resource, E> {
        Ok(Resource::default())
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Resource, A::Error> {
        let mut r = Resource::default();
        while let Some(key) = map.next_key_seed(KeySeed)? {
            match key {
                Key::Attributes => r.attrs = map.next_value_seed(AttrList(&mut *self.0))?,
                Key::DroppedAttributes => {
                    r.dropped = map.next_value_seed(U64Seed)?.unwrap_or(0) as u32
                }
                _ => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        if let Some(sym) = self.0.strings.lookup("service.name")
            && let Some(a) = self.0.attrs[r.attrs.range()].iter().find(|a| a.key == sym)
            && let AttrValue::Str(s) = a.value
        {
            r.service = s;
        }
        Ok(r)
    }
}

#[derive(Clone, Copy)]
struct ScopeSpansSeed;

impl Element for ScopeSpansSeed {
    fn decode<'de, A: MapAccess<'de>>(self, sink: &mut Sink, mut map: A) -> Result<(), A::Error> {
        let idx = sink.batch.scopes.len() as u32;
        sink.batch.scopes.push(Scope::default());
        while let Some(key) = map.next_key_seed(KeySeed)? {
            match key {
                Key::Scope => {
                    let s = map.next_value_seed(ScopeSeed(&mut *sink.batch))?;
                    sink.batch.scopes[idx as usize] = s;
                }
                Key::Spans => {
                    sink.cur_scope = idx;
                    map.next_value_seed(ListOf(SpanSeed, &mut *sink))?;
                }
                _ => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        Ok(())
    }
}

struct ScopeSeed<'b>(&'b mut Batch);

impl<'de> DeserializeSeed<'de> for ScopeSeed<'_> {
    type Value = Scope;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Scope, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for ScopeSeed<'_> {
    type Value = Scope;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a scope object")
    }
    fn visit_unit<E: de::Error>(self) -> Result<Scope, E> {
        Ok(Scope::default())
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Scope, A::Error> {
        let mut s = Scope::default();
        while let Some(key) = map.next_key_seed(KeySeed)? {
            match key {
                Key::Name => s.name = map.next_value_seed(SymSeed(&mut self.0.strings))?,
                Key::Version => s.version = map.next_value_seed(SymSeed(&mut self.0.strings))?,
                Key::Attributes => s.attrs = map.next_value_seed(AttrList(&mut *self.0))?,
                Key::DroppedAttributes => {
                    s.dropped = map.next_value_seed(U64Seed)?.unwrap_or(0) as u32
                }
                _ => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        Ok(s)
    }
}

#[derive(Clone, Copy)]
struct SpanSeed;

impl Element for SpanSeed {
    fn decode<'de, A: MapAccess<'de>>(self, sink: &mut Sink, mut map: A) -> Result<(), A::Error> {
        let cp = sink.batch.checkpoint();
        sink.span_no += 1;
        let mut span = Span {
            resource: sink.cur_resource,
            scope: sink.cur_scope,
            source: sink.source,
            ..Span::default()
        };
        let (mut trace_id, mut span_id) = (None, None);
        let mut problem: Option<String> = None;
        let mut notes: Vec<String> = Vec::new();
        while let Some(key) = map.next_key_seed(KeySeed)? {
            let batch = &mut *sink.batch;
            match key {
                Key::TraceId => {
                    if let Some(t) = map.next_value_seed(TextSeed)? {
                        match decode_id::<16>(&t, "trace id") {
                            Ok(id) => trace_id = Some(id),
                            Err(e) => problem = problem.or(Some(e.to_string())),
                        }
                    }
                }
                Key::SpanId => {
                    if let Some(t) = map.next_value_seed(TextSeed)? {
                        match decode_id::<8>(&t, "span id") {
                            Ok(id) => span_id = Some(id),
                            Err(e) => problem = problem.or(Some(e.to_string())),
                        }
                    }
                }
                Key::ParentSpanId => {
                    if let Some(t) = map.next_value_seed(TextSeed)?
                        && !t.is_empty()
                    {
                        match decode_id::<8>(&t, "parent span id") {
                            Ok(id) => span.parent_span_id = SpanId(id),
                            // The span is kept, under a parent no span has: an orphan.
                            Err(e) => {
                                span.parent_span_id =
                                    crate::model::SpanId::unreadable(t.as_bytes());
                                notes.push(format!("{e}; kept as an orphan"));
                            }
                        }
                    }
                }
                Key::TraceState => {
                    span.trace_state = map.next_value_seed(SymSeed(&mut batch.strings))?
                }
                Key::Flags => span.flags = map.next_value_seed(U64Seed)?.unwrap_or(0) as u32,
                Key::Name => span.name = map.next_value_seed(SymSeed(&mut batch.strings))?,
                Key::Kind => match map.next_value_seed(EnumSeed)? {
                    EnumVal::Num(n) => match SpanKind::from_i32(n) {
                        Some(k) => span.kind = k,
                        None => notes.push(format!("unknown span kind {n}")),
                    },
                    EnumVal::Name(s) => match SpanKind::from_name(&s) {
                        Some(k) => span.kind = k,
                        None => notes.push(format!("unknown span kind {s:?}")),
                    },
                    EnumVal::Absent => {}
                },
                Key::Start => match map.next_value_seed(U64Seed)? {
                    Some(v) => span.start = v,
                    None => notes.push("unreadable startTimeUnixNano".into()),
                },
                Key::End => match map.next_value_seed(U64Seed)? {
                    Some(v) => span.end = v,
                    None => notes.push("unreadable endTimeUnixNano".into()),
                },
                Key::Attributes => span.attrs = map.next_value_seed(AttrList(batch))?,
                Key::DroppedAttributes => {
                    span.dropped[0] = map.next_value_seed(U64Seed)?.unwrap_or(0) as u32
                }
                Key::Events => {
                    let start = batch.events.len();
                    map.next_value_seed(EventList(&mut *batch))?;
                    span.events = batch.events_since(start);
                }
                Key::DroppedEvents => {
                    span.dropped[1] = map.next_value_seed(U64Seed)?.unwrap_or(0) as u32
                }
                Key::Links => {
                    let start = batch.links.len();
                    map.next_value_seed(LinkList(&mut *batch))?;
                    span.links = batch.links_since(start);
                }
                Key::DroppedLinks => {
                    span.dropped[2] = map.next_value_seed(U64Seed)?.unwrap_or(0) as u32
                }
                Key::Status => {
                    let (code, msg, note) = map.next_value_seed(StatusSeed(&mut batch.strings))?;
                    span.status = code;
                    span.status_message = msg;
                    notes.extend(note);
                }
                _ => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        let label = || {
            let name = sink.batch.strings.get(span.name);
            match span_id {
                Some(id) => format!("span {name:?} ({})", SpanId(id)),
                None => format!("span {name:?}"),
            }
        };
        let problem = problem.or_else(|| match (trace_id, span_id) {
            (None, _) => Some("no traceId".to_string()),
            (_, None) => Some("no spanId".to_string()),
            _ => None,
        });
        if let Some(p) = problem {
            let msg = format!("{}: {p}; span skipped", label());
            sink.batch.rollback(cp);
            sink.rejected.push(msg);
            return Ok(());
        }
        for n in notes {
            let msg = format!("{}: {n}", label());
            sink.notes.push(msg);
        }
        if let (Some(t), Some(s)) = (trace_id, span_id) {
            span.trace_id = crate::model::TraceId(t);
            span.span_id = SpanId(s);
            sink.batch.spans.push(span);
        }
        Ok(())
    }
}

struct EventList<'b>(&'b mut Batch);

impl<'de> DeserializeSeed<'de> for EventList<'_> {
    type Value = ();
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for EventList<'_> {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("an array of events")
    }
    fn visit_unit<E: de::Error>(self) -> Result<(), E> {
        Ok(())
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        while let Some(ev) = seq.next_element_seed(EventSeed(&mut *self.0))? {
            self.0.events.push(ev);
        }
        Ok(())
    }
}

struct EventSeed<'b>(&'b mut Batch);

impl<'de> DeserializeSeed<'de> for EventSeed<'_> {
    type Value = Event;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Event, D::Error> {
        d.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for EventSeed<'_> {
    type Value = Event;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("an event object")
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Event, A::Error> {
        let mut e = Event::default();
        while let Some(key) = map.next_key_seed(KeySeed)? {
            match key {
                Key::Time => e.time = map.next_value_seed(U64Seed)?.unwrap_or(0),
                Key::Name => e.name = map.next_value_seed(SymSeed(&mut self.0.strings))?,
                Key::Attributes => e.attrs = map.next_value_seed(AttrList(&mut *self.0))?,
                Key::DroppedAttributes => {
                    e.dropped = map.next_value_seed(U64Seed)?.unwrap_or(0) as u32
                }
                _ => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        Ok(e)
    }
}

struct LinkList<'b>(&'b mut Batch);

impl<'de> DeserializeSeed<'de> for LinkList<'_> {
    type Value = ();
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for LinkList<'_> {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("an array of links")
    }
    fn visit_unit<E: de::Error>(self) -> Result<(), E> {
        Ok(())
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        while let Some(link) = seq.next_element_seed(LinkSeed(&mut *self.0))? {
            // A link whose ids cannot be read points nowhere; it is dropped.
            if let Some(link) = link {
                self.0.links.push(link);
            }
        }
        Ok(())
    }
}

struct LinkSeed<'b>(&'b mut Batch);

impl<'de> DeserializeSeed<'de> for LinkSeed<'_> {
    type Value = Option<Link>;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Option<Link>, D::Error> {
        d.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for LinkSeed<'_> {
    type Value = Option<Link>;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a link object")
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Option<Link>, A::Error> {
        let mut l = Link::default();
        let mut ok = (false, false);
        while let Some(key) = map.next_key_seed(KeySeed)? {
            match key {
                Key::TraceId => {
                    if let Some(t) = map.next_value_seed(TextSeed)?
                        && let Ok(id) = decode_id::<16>(&t, "trace id")
                    {
                        l.trace_id = crate::model::TraceId(id);
                        ok.0 = true;
                    }
                }
                Key::SpanId => {
                    if let Some(t) = map.next_value_seed(TextSeed)?
                        && let Ok(id) = decode_id::<8>(&t, "span id")
                    {
                        l.span_id = SpanId(id);
                        ok.1 = true;
                    }
                }
                Key::TraceState => {
                    l.trace_state = map.next_value_seed(SymSeed(&mut self.0.strings))?
                }
                Key::Flags => l.flags = map.next_value_seed(U64Seed)?.unwrap_or(0) as u32,
                Key::Attributes => l.attrs = map.next_value_seed(AttrList(&mut *self.0))?,
                Key::DroppedAttributes => {
                    l.dropped = map.next_value_seed(U64Seed)?.unwrap_or(0) as u32
                }
                _ => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        Ok((ok.0 && ok.1).then_some(l))
    }
}

struct StatusSeed<'b>(&'b mut Interner);

impl<'de> DeserializeSeed<'de> for StatusSeed<'_> {
    type Value = (StatusCode, Sym, Option<String>);
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for StatusSeed<'_> {
    type Value = (StatusCode, Sym, Option<String>);
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a status object")
    }
    fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok((StatusCode::Unset, Sym::EMPTY, None))
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let (mut code, mut msg, mut note) = (StatusCode::Unset, Sym::EMPTY, None);
        while let Some(key) = map.next_key_seed(KeySeed)? {
            match key {
                Key::Code => match map.next_value_seed(EnumSeed)? {
                    EnumVal::Num(n) => match StatusCode::from_i32(n) {
                        Some(c) => code = c,
                        None => note = Some(format!("unknown status code {n}")),
                    },
                    EnumVal::Name(s) => match StatusCode::from_name(&s) {
                        Some(c) => code = c,
                        None => note = Some(format!("unknown status code {s:?}")),
                    },
                    EnumVal::Absent => {}
                },
                Key::Message => msg = map.next_value_seed(SymSeed(&mut *self.0))?,
                _ => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        Ok((code, msg, note))
    }
}

/// A list of `KeyValue`s appended to the batch's attribute arena.
struct AttrList<'b>(&'b mut Batch);

impl<'de> DeserializeSeed<'de> for AttrList<'_> {
    type Value = Slice;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Slice, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for AttrList<'_> {
    type Value = Slice;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("an array of key/value objects")
    }
    fn visit_unit<E: de::Error>(self) -> Result<Slice, E> {
        Ok(Slice::default())
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Slice, A::Error> {
        let start = self.0.attrs.len();
        while let Some(kv) = seq.next_element_seed(KeyValueSeed(&mut self.0.strings))? {
            self.0.attrs.push(Attr {
                key: kv.0,
                value: kv.1,
            });
        }
        Ok(self.0.attrs_since(start))
    }
}

struct KeyValueSeed<'b>(&'b mut Interner);

impl<'de> DeserializeSeed<'de> for KeyValueSeed<'_> {
    type Value = (Sym, AttrValue);
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for KeyValueSeed<'_> {
    type Value = (Sym, AttrValue);
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a key/value object")
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let (mut k, mut v) = (Sym::EMPTY, AttrValue::Empty);
        while let Some(key) = map.next_key_seed(KeySeed)? {
            match key {
                Key::KvName => k = map.next_value_seed(SymSeed(&mut *self.0))?,
                Key::Value => v = map.next_value_seed(AnyValueSeed(&mut *self.0))?,
                _ => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        Ok((k, v))
    }
}

/// An OTLP `AnyValue` object.
struct AnyValueSeed<'b>(&'b mut Interner);

impl<'de> DeserializeSeed<'de> for AnyValueSeed<'_> {
    type Value = AttrValue;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<AttrValue, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for AnyValueSeed<'_> {
    type Value = AttrValue;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("an AnyValue object")
    }
    fn visit_unit<E: de::Error>(self) -> Result<AttrValue, E> {
        Ok(AttrValue::Empty)
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<AttrValue, A::Error> {
        let mut v = AttrValue::Empty;
        while let Some(key) = map.next_key_seed(KeySeed)? {
            v = match key {
                Key::StringValue => map.next_value_seed(StrValueSeed(&mut *self.0))?,
                Key::BoolValue => match map.next_value::<Option<bool>>() {
                    Ok(b) => b.map(AttrValue::Bool).unwrap_or_default(),
                    Err(e) => return Err(e),
                },
                Key::IntValue => map
                    .next_value_seed(I64Seed)?
                    .map(AttrValue::Int)
                    .unwrap_or_default(),
                Key::DoubleValue => map
                    .next_value_seed(F64Seed)?
                    .map(AttrValue::Double)
                    .unwrap_or_default(),
                Key::BytesValue => match map.next_value_seed(TextSeed)? {
                    Some(t) => decode_bytes(&mut *self.0, &t),
                    None => AttrValue::Empty,
                },
                Key::ArrayValue => map.next_value_seed(ValuesSeed {
                    strings: &mut *self.0,
                    kv: false,
                })?,
                Key::KvlistValue => map.next_value_seed(ValuesSeed {
                    strings: &mut *self.0,
                    kv: true,
                })?,
                _ => {
                    map.next_value::<IgnoredAny>()?;
                    v
                }
            };
        }
        Ok(v)
    }
}

fn decode_bytes(strings: &mut Interner, text: &str) -> AttrValue {
    let t = text.trim_end_matches('=');
    base64::engine::general_purpose::STANDARD_NO_PAD
        .decode(t)
        .or_else(|_| base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(t))
        .map(|b| AttrValue::Bytes(Box::new(b)))
        // Not base64: keep the text rather than lose it.
        .unwrap_or_else(|_| AttrValue::string(strings, text))
}

/// `{"values": [...]}` of an `ArrayValue` (AnyValues) or a `KeyValueList` (KeyValues).
struct ValuesSeed<'b> {
    strings: &'b mut Interner,
    kv: bool,
}

impl<'de> DeserializeSeed<'de> for ValuesSeed<'_> {
    type Value = AttrValue;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<AttrValue, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for ValuesSeed<'_> {
    type Value = AttrValue;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("an object with a values array")
    }
    fn visit_unit<E: de::Error>(self) -> Result<AttrValue, E> {
        Ok(AttrValue::Empty)
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<AttrValue, A::Error> {
        let mut out = if self.kv {
            AttrValue::KvList(Box::default())
        } else {
            AttrValue::Array(Box::default())
        };
        while let Some(key) = map.next_key_seed(KeySeed)? {
            if key == Key::Values {
                out = map.next_value_seed(ValuesList {
                    strings: &mut *self.strings,
                    kv: self.kv,
                })?;
            } else {
                map.next_value::<IgnoredAny>()?;
            }
        }
        Ok(out)
    }
}

struct ValuesList<'b> {
    strings: &'b mut Interner,
    kv: bool,
}

impl<'de> DeserializeSeed<'de> for ValuesList<'_> {
    type Value = AttrValue;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<AttrValue, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for ValuesList<'_> {
    type Value = AttrValue;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("an array of values")
    }
    fn visit_unit<E: de::Error>(self) -> Result<AttrValue, E> {
        Ok(AttrValue::Empty)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<AttrValue, A::Error> {
        if self.kv {
            let mut items = Vec::new();
            while let Some(kv) = seq.next_element_seed(KeyValueSeed(&mut *self.strings))? {
                items.push(kv);
            }
            Ok(AttrValue::KvList(Box::new(items)))
        } else {
            let mut items = Vec::new();
            while let Some(v) = seq.next_element_seed(AnyValueSeed(&mut *self.strings))? {
                items.push(v);
            }
            Ok(AttrValue::Array(Box::new(items)))
        }
    }
}

/// A string, interned (null gives the empty string).
pub(crate) struct SymSeed<'b>(pub(crate) &'b mut Interner);

impl<'de> DeserializeSeed<'de> for SymSeed<'_> {
    type Value = Sym;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Sym, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for SymSeed<'_> {
    type Value = Sym;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a string")
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<Sym, E> {
        Ok(self.0.intern(v))
    }
    fn visit_unit<E: de::Error>(self) -> Result<Sym, E> {
        Ok(Sym::EMPTY)
    }
}

/// A `stringValue`: interned when short, owned when long.
struct StrValueSeed<'b>(&'b mut Interner);

impl<'de> DeserializeSeed<'de> for StrValueSeed<'_> {
    type Value = AttrValue;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<AttrValue, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for StrValueSeed<'_> {
    type Value = AttrValue;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a string")
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<AttrValue, E> {
        Ok(AttrValue::string(self.0, v))
    }
    fn visit_unit<E: de::Error>(self) -> Result<AttrValue, E> {
        Ok(AttrValue::Empty)
    }
}

/// A string as an owned-or-borrowed text (ids, bytes); `None` for null.
struct TextSeed;

impl<'de> DeserializeSeed<'de> for TextSeed {
    type Value = Option<std::borrow::Cow<'de, str>>;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for TextSeed {
    type Value = Option<std::borrow::Cow<'de, str>>;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a string")
    }
    fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Self::Value, E> {
        Ok(Some(std::borrow::Cow::Borrowed(v)))
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
        Ok(Some(std::borrow::Cow::Owned(v.to_owned())))
    }
    fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(None)
    }
}

/// An unsigned 64-bit integer written as a number or a string; `None` when unreadable.
struct U64Seed;

impl<'de> DeserializeSeed<'de> for U64Seed {
    type Value = Option<u64>;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Option<u64>, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for U64Seed {
    type Value = Option<u64>;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("an unsigned integer")
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Option<u64>, E> {
        Ok(Some(v))
    }
    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Option<u64>, E> {
        Ok(u64::try_from(v).ok())
    }
    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Option<u64>, E> {
        Ok((v >= 0.0 && v.fract() == 0.0 && v < 1.9e19).then_some(v as u64))
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<Option<u64>, E> {
        Ok(v.trim().parse().ok())
    }
    fn visit_unit<E: de::Error>(self) -> Result<Option<u64>, E> {
        Ok(Some(0))
    }
}

/// A signed 64-bit integer written as a number or a string.
struct I64Seed;

impl<'de> DeserializeSeed<'de> for I64Seed {
    type Value = Option<i64>;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Option<i64>, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for I64Seed {
    type Value = Option<i64>;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("an integer")
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Option<i64>, E> {
        Ok(i64::try_from(v).ok())
    }
    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Option<i64>, E> {
        Ok(Some(v))
    }
    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Option<i64>, E> {
        Ok((v.fract() == 0.0 && v.abs() < 9.2e18).then_some(v as i64))
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<Option<i64>, E> {
        Ok(v.trim().parse().ok())
    }
    fn visit_unit<E: de::Error>(self) -> Result<Option<i64>, E> {
        Ok(None)
    }
}

/// A double written as a number or as a string (`"NaN"`, `"Infinity"`, `"1.5"`).
struct F64Seed;

impl<'de> DeserializeSeed<'de> for F64Seed {
    type Value = Option<f64>;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Option<f64>, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for F64Seed {
    type Value = Option<f64>;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a number")
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Option<f64>, E> {
        Ok(Some(v as f64))
    }
    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Option<f64>, E> {
        Ok(Some(v as f64))
    }
    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Option<f64>, E> {
        Ok(Some(v))
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<Option<f64>, E> {
        Ok(match v.trim() {
            "NaN" => Some(f64::NAN),
            "Infinity" => Some(f64::INFINITY),
            "-Infinity" => Some(f64::NEG_INFINITY),
            other => other.parse().ok(),
        })
    }
    fn visit_unit<E: de::Error>(self) -> Result<Option<f64>, E> {
        Ok(None)
    }
}

/// An enum written as a number or as its name.
enum EnumVal {
    Num(i64),
    Name(String),
    Absent,
}

struct EnumSeed;

impl<'de> DeserializeSeed<'de> for EnumSeed {
    type Value = EnumVal;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<EnumVal, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for EnumSeed {
    type Value = EnumVal;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("an enum number or name")
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<EnumVal, E> {
        Ok(EnumVal::Num(i64::try_from(v).unwrap_or(i64::MAX)))
    }
    fn visit_i64<E: de::Error>(self, v: i64) -> Result<EnumVal, E> {
        Ok(EnumVal::Num(v))
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<EnumVal, E> {
        match v.trim().parse::<i64>() {
            Ok(n) => Ok(EnumVal::Num(n)),
            Err(_) => Ok(EnumVal::Name(v.to_owned())),
        }
    }
    fn visit_unit<E: de::Error>(self) -> Result<EnumVal, E> {
        Ok(EnumVal::Absent)
    }
}
