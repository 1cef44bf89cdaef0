//! Reading an agtrace store back into spans (a [`Batch`]), all of it or only some
//! traces, and the Phoenix store through `phoenix`.

use super::{Flavor, StoreError, codec, open_read_only};
use crate::model::{
    Batch, Event, Link, Resource, Scope, Span, SpanId, SpanKind, StatusCode, TraceId, decode_id,
};
use rusqlite::{Connection, params_from_iter};
use rustc_hash::FxHashMap;
use std::path::Path;

/// Loads every span of a store (agtrace or Phoenix) as one batch.
pub fn load(path: &Path, source: u32) -> Result<Batch, StoreError> {
    let (conn, flavor) = open_read_only(path)?;
    let e = |x| StoreError::sqlite(path, x);
    match flavor {
        Flavor::Agtrace => read_spans(&conn, None, source).map_err(e),
        Flavor::Phoenix => super::phoenix::load(&conn, source).map_err(e),
    }
}

/// Trace ids (hex) among `ids` that the store already has.
pub fn existing_traces(conn: &Connection, ids: &[String]) -> rusqlite::Result<Vec<String>> {
    let mut out = Vec::new();
    for chunk in ids.chunks(500) {
        let marks = vec!["?"; chunk.len()].join(",");
        let mut st = conn.prepare(&format!(
            "SELECT trace_id FROM traces WHERE trace_id IN ({marks})"
        ))?;
        let rows = st.query_map(params_from_iter(chunk.iter()), |r| r.get::<_, String>(0))?;
        for r in rows {
            out.push(r?);
        }
    }
    Ok(out)
}

/// The stored spans of some traces, as one batch.
pub fn load_traces(conn: &Connection, ids: &[String], source: u32) -> rusqlite::Result<Batch> {
    read_spans(conn, Some(ids), source)
}

/// Loads one trace by id prefix (for `show` on a store without reading it whole).
pub fn load_trace(path: &Path, prefix: &str, source: u32) -> Result<Option<Batch>, StoreError> {
    let (conn, flavor) = open_read_only(path)?;
    if flavor != Flavor::Agtrace {
        return Ok(None);
    }
    let e = |x| StoreError::sqlite(path, x);
    let mut st = conn
        .prepare("SELECT trace_id FROM traces WHERE trace_id >= ?1 AND trace_id < ?2 LIMIT 2")
        .map_err(e)?;
    let upper = format!("{prefix}\u{10ffff}");
    let ids: Vec<String> = st
        .query_map([prefix.to_ascii_lowercase(), upper], |r| r.get(0))
        .map_err(e)?
        .collect::<Result<_, _>>()
        .map_err(e)?;
    if ids.len() != 1 {
        return Ok(None);
    }
    read_spans(&conn, Some(&ids), source).map(Some).map_err(e)
}

/// Trace summaries only (for fast listings).
pub fn load_summaries(path: &Path) -> Result<Vec<(String, i64)>, StoreError> {
    let (conn, _) = open_read_only(path)?;
    let e = |x| StoreError::sqlite(path, x);
    let mut st = conn
        .prepare("SELECT trace_id, span_count FROM traces ORDER BY start_ns DESC")
        .map_err(e)?;
    let rows = st
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
        .map_err(e)?;
    rows.collect::<Result<_, _>>().map_err(e)
}

/// A link row: trace id, span id, trace state, flags, attributes, dropped count.
type StoredLink = (String, String, String, u32, String, u32);

fn id16(s: &str) -> TraceId {
    TraceId(decode_id::<16>(s, "trace id").unwrap_or([0; 16]))
}

fn id8(s: &str) -> SpanId {
    SpanId(decode_id::<8>(s, "span id").unwrap_or([0; 8]))
}

fn read_spans(conn: &Connection, only: Option<&[String]>, source: u32) -> rusqlite::Result<Batch> {
    let mut batch = Batch::default();
    // Resources, by store id.
    let mut resources: FxHashMap<i64, u32> = FxHashMap::default();
    {
        let mut st =
            conn.prepare("SELECT id, service, attributes, dropped_attributes FROM resources")?;
        let mut rows = st.query([])?;
        while let Some(r) = rows.next()? {
            let id: i64 = r.get(0)?;
            let service: String = r.get(1)?;
            let attrs: String = r.get(2)?;
            let slice = codec::decode_into(&mut batch, &attrs);
            let svc = batch.strings.intern(&service);
            resources.insert(id, batch.resources.len() as u32);
            batch.resources.push(Resource {
                service: svc,
                attrs: slice,
                dropped: r.get(3)?,
            });
        }
    }
    let filter = |base: &str, col: &str, ids: Option<&[String]>| -> String {
        match ids {
            Some(ids) => format!("{base} WHERE {col} IN ({})", vec!["?"; ids.len()].join(",")),
            None => base.to_owned(),
        }
    };
    let chunks: Vec<Option<&[String]>> = match only {
        Some(ids) => ids.chunks(400).map(Some).collect(),
        None => vec![None],
    };
    let mut scopes: FxHashMap<(String, String, String), u32> = FxHashMap::default();
    for chunk in chunks {
        let args: Vec<&String> = chunk.map(|c| c.iter().collect()).unwrap_or_default();
        // Events and links by span row.
        let mut events: FxHashMap<i64, Vec<(i64, String, String, u32)>> = FxHashMap::default();
        let mut st = conn.prepare(&filter(
            "SELECT e.span_rowid, e.time_ns, e.name, e.attributes, e.dropped_attributes FROM events e JOIN spans s ON s.id = e.span_rowid",
            "s.trace_id",
            chunk,
        ))?;
        let mut rows = st.query(params_from_iter(args.iter()))?;
        while let Some(r) = rows.next()? {
            events
                .entry(r.get(0)?)
                .or_default()
                .push((r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?));
        }
        drop(rows);
        let mut links: FxHashMap<i64, Vec<StoredLink>> = FxHashMap::default();
        let mut st = conn.prepare(&filter(
            "SELECT l.span_rowid, l.trace_id, l.span_id, l.trace_state, l.flags, l.attributes, l.dropped_attributes FROM links l JOIN spans s ON s.id = l.span_rowid",
            "s.trace_id",
            chunk,
        ))?;
        let mut rows = st.query(params_from_iter(args.iter()))?;
        while let Some(r) = rows.next()? {
            links.entry(r.get(0)?).or_default().push((
                r.get(1)?,
                r.get(2)?,
                r.get(3)?,
                r.get(4)?,
                r.get(5)?,
                r.get(6)?,
            ));
        }
        drop(rows);
        let mut st = conn.prepare(&filter(
            "SELECT s.id, s.trace_id, s.span_id, s.parent_span_id, s.name, s.span_kind, s.start_ns, s.end_ns, s.status_code, s.status_message, s.trace_state, s.flags, s.resource_id, s.scope_name, s.scope_version, s.scope_attributes, s.dropped_attributes, s.dropped_events, s.dropped_links, a.attributes FROM spans s LEFT JOIN attributes a ON a.span_rowid = s.id",
            "s.trace_id",
            chunk,
        ))?;
        let mut rows = st.query(params_from_iter(args.iter()))?;
        while let Some(r) = rows.next()? {
            let rowid: i64 = r.get(0)?;
            let scope_key: (String, String, String) = (r.get(13)?, r.get(14)?, r.get(15)?);
            let scope = match scopes.get(&scope_key) {
                Some(&s) => s,
                None => {
                    let attrs = codec::decode_into(&mut batch, &scope_key.2);
                    let sc = Scope {
                        name: batch.strings.intern(&scope_key.0),
                        version: batch.strings.intern(&scope_key.1),
                        attrs,
                        dropped: 0,
                    };
                    let idx = batch.scopes.len() as u32;
                    batch.scopes.push(sc);
                    scopes.insert(scope_key, idx);
                    idx
                }
            };
            let ev_start = batch.events.len();
            for (time, name, attrs, dropped) in events.remove(&rowid).unwrap_or_default() {
                let attrs = codec::decode_into(&mut batch, &attrs);
                let name = batch.strings.intern(&name);
                batch.events.push(Event {
                    time: time as u64,
                    name,
                    attrs,
                    dropped,
                });
            }
            let ev = batch.events_since(ev_start);
            let link_start = batch.links.len();
            for (t, s, ts, flags, attrs, dropped) in links.remove(&rowid).unwrap_or_default() {
                let attrs = codec::decode_into(&mut batch, &attrs);
                let trace_state = batch.strings.intern(&ts);
                batch.links.push(Link {
                    trace_id: id16(&t),
                    span_id: id8(&s),
                    trace_state,
                    attrs,
                    flags,
                    dropped,
                });
            }
            let lk = batch.links_since(link_start);
            let attr_text: Option<String> = r.get(19)?;
            let attrs = codec::decode_into(&mut batch, attr_text.as_deref().unwrap_or("[]"));
            let parent: Option<String> = r.get(3)?;
            let name: String = r.get(4)?;
            let kind: String = r.get(5)?;
            let status: String = r.get(8)?;
            let msg: String = r.get(9)?;
            let ts: String = r.get(10)?;
            let res_id: i64 = r.get(12)?;
            let span = Span {
                trace_id: id16(&r.get::<_, String>(1)?),
                span_id: id8(&r.get::<_, String>(2)?),
                parent_span_id: parent.as_deref().map(id8).unwrap_or(SpanId::NONE),
                name: batch.strings.intern(&name),
                kind: SpanKind::from_name(&kind).unwrap_or_default(),
                status: StatusCode::from_name(&status).unwrap_or_default(),
                status_message: batch.strings.intern(&msg),
                start: r.get::<_, i64>(6)? as u64,
                end: r.get::<_, i64>(7)? as u64,
                flags: r.get(11)?,
                trace_state: batch.strings.intern(&ts),
                resource: resources.get(&res_id).copied().unwrap_or(0),
                scope,
                attrs,
                events: ev,
                links: lk,
                dropped: [r.get(16)?, r.get(17)?, r.get(18)?],
                source,
                ..Span::default()
            };
            batch.spans.push(span);
        }
    }
    if batch.resources.is_empty() {
        batch.resources.push(Resource::default());
    }
    Ok(batch)
}
