//! Reading an agtrace store back into spans (a [`Batch`]), all of it or only some
//! traces, and the Phoenix store through `phoenix`.

use super::columns::{SpanRead, TraceCol, select_list};
use super::{Flavor, StoreError, codec, open_read_only};
use crate::model::{
    Batch, Event, Link, Resource, Scope, Span, SpanId, SpanKind, StatusCode, Tokens, Trace,
    TraceId, TraceSet, decode_id,
};
use crate::query::filter::{Filter, TraceCond};
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

/// Every stored span of an agtrace store, as one batch.
pub(super) fn read_all(conn: &Connection) -> rusqlite::Result<Batch> {
    read_spans(conn, None, 0)
}

/// The stored spans of some traces, as one batch.
pub fn load_traces(conn: &Connection, ids: &[String], source: u32) -> rusqlite::Result<Batch> {
    read_spans(conn, Some(ids), source)
}

/// Only the traces table: every trace with its stored aggregates and no spans, so a
/// listing of a million-span store reads one small row per trace. Spans are loaded per
/// trace with [`load_trace_by_id`] when one is opened.
///
/// The filter's trace-level conditions ([`Filter::summary_conditions`]) narrow the rows
/// in SQL; `newest` keeps only that many traces by start time (a first screen of a
/// large store). The exact filter is the caller's to run on the result.
pub fn load_summaries(
    path: &Path,
    filter: &Filter,
    newest: Option<usize>,
) -> Result<TraceSet, StoreError> {
    let (conn, flavor) = open_read_only(path)?;
    let e = |x| StoreError::sqlite(path, x);
    if flavor != Flavor::Agtrace {
        let batch = load(path, 0)?;
        let mut set = TraceSet::build(vec![batch], vec![path.display().to_string()], vec![]);
        crate::semconv::annotate(&mut set, &crate::semconv::PriceTable::bundled());
        crate::analysis::findings::derive(&mut set);
        return Ok(set);
    }
    let mut set = TraceSet {
        sources: vec![path.display().to_string()],
        ..TraceSet::default()
    };
    // Stores before schema 4 kept no findings.
    let version: i64 = conn
        .pragma_query_value(None, "user_version", |r| r.get(0))
        .map_err(e)?;
    let cols: Vec<&str> = TraceCol::ALL
        .iter()
        .map(|&c| match c {
            TraceCol::Findings if version < 4 => "NULL",
            c => c.name(),
        })
        .collect();
    let mut sql = format!("SELECT {} FROM traces", select_list("", &cols));
    let mut conds: Vec<String> = Vec::new();
    let mut args: Vec<rusqlite::types::Value> = Vec::new();
    for c in filter.summary_conditions() {
        match c {
            TraceCond::Session(s) => {
                conds.push("session_id = ?".into());
                args.push(s.into());
            }
            TraceCond::Failed => conds.push("status = 'error'".into()),
            TraceCond::MinDuration(ns) => {
                conds.push("end_ns - start_ns >= ?".into());
                args.push((ns.min(i64::MAX as u64) as i64).into());
            }
        }
    }
    if !conds.is_empty() {
        sql.push_str(" WHERE ");
        sql.push_str(&conds.join(" AND "));
    }
    if let Some(n) = newest {
        sql.push_str(" ORDER BY start_ns DESC LIMIT ?");
        args.push((n as i64).into());
    }
    let mut st = conn.prepare(&sql).map_err(e)?;
    let mut rows = st.query(params_from_iter(args.iter())).map_err(e)?;
    let mut findings_known = true;
    let mut row_no = 0usize;
    let mut bad_rows: Vec<String> = Vec::new();
    while let Some(r) = rows.next().map_err(e)? {
        row_no += 1;
        // A row with a value of the wrong type (edited by hand, written by another
        // tool) is skipped with a warning naming it; the rest of the store lists.
        let tr = match summary_row(r, &mut set.strings) {
            Ok(tr) => tr,
            Err(err) => {
                let id: String = r
                    .get::<_, Option<String>>(TraceCol::TraceId.at())
                    .ok()
                    .flatten()
                    .unwrap_or_default();
                bad_rows.push(format!(
                    "traces row {row_no} (trace {}): {err}",
                    crate::sanitize::sanitize(&id)
                ));
                continue;
            }
        };
        let t = set.traces.len() as u32;
        let found: Option<String> = r
            .get::<_, Option<String>>(TraceCol::Findings.at())
            .ok()
            .flatten();
        match found {
            Some(text) => {
                let from = set.findings.len() as u32;
                set.findings
                    .extend(crate::analysis::findings::from_json(t, &text));
                set.trace_findings.push(from..set.findings.len() as u32);
            }
            None => findings_known = false,
        }
        set.trace_index.insert(tr.id, t);
        set.traces.push(tr);
    }
    if !bad_rows.is_empty() {
        set.warnings.push(crate::model::Warning {
            source: path.display().to_string(),
            position: crate::model::Position::Whole,
            message: format!(
                "{} rows of the traces table could not be read and are left out: {}",
                bad_rows.len(),
                bad_rows
                    .iter()
                    .take(3)
                    .cloned()
                    .collect::<Vec<_>>()
                    .join("; ")
            ),
        });
    }
    if !findings_known {
        // Some rows (an older store's) have none: say unknown for all, not zero.
        set.findings.clear();
        set.trace_findings.clear();
    }
    for (t, tr) in set.traces.iter().enumerate() {
        if !tr.session.is_empty() {
            set.sessions.entry(tr.session).or_default().push(t as u32);
        }
    }
    for list in set.sessions.values_mut() {
        list.sort_by_key(|&t| set.traces[t as usize].start);
    }
    Ok(set)
}

/// One row of the traces table as a trace summary (no spans).
fn summary_row(
    r: &rusqlite::Row<'_>,
    strings: &mut crate::model::Interner,
) -> rusqlite::Result<Trace> {
    use TraceCol as C;
    let text = |c: C| -> rusqlite::Result<String> {
        Ok(r.get::<_, Option<String>>(c.at())?.unwrap_or_default())
    };
    let opt = |c: C| -> rusqlite::Result<Option<u64>> {
        Ok(r.get::<_, Option<i64>>(c.at())?.map(|v| v as u64))
    };
    let int = |c: C| -> rusqlite::Result<u64> { Ok(r.get::<_, i64>(c.at())? as u64) };
    let count = |c: C| -> rusqlite::Result<u32> { r.get(c.at()) };
    let cost: Option<f64> = r.get(C::CostUsd.at())?;
    Ok(Trace {
        id: id16(&text(C::TraceId)?),
        root: crate::model::NONE,
        root_name: strings.intern(&text(C::RootName)?),
        service: strings.intern(&text(C::Service)?),
        session: strings.intern(&text(C::SessionId)?),
        agent_name: strings.intern(&text(C::AgentName)?),
        user: strings.intern(&text(C::UserId)?),
        start: int(C::StartNs)?,
        end: int(C::EndNs)?,
        span_count: count(C::SpanCount)?,
        error_count: count(C::ErrorCount)?,
        warning_count: count(C::WarningCount)?,
        llm_calls: count(C::LlmCalls)?,
        tool_calls: count(C::ToolCalls)?,
        tokens: Tokens {
            input: opt(C::InputTokens)?,
            output: opt(C::OutputTokens)?,
            cache_read: opt(C::CacheReadTokens)?,
            cache_write: opt(C::CacheWriteTokens)?,
            reasoning: opt(C::ReasoningTokens)?,
        },
        cost_usd: cost.unwrap_or(0.0),
        billable_steps: count(C::BillableSteps)?,
        unpriced_steps: count(C::UnpricedSteps)?,
        integrity: crate::model::Integrity {
            orphans: count(C::OrphanCount)?,
            cycles: count(C::CycleCount)?,
            clock_skew: count(C::ClockSkewCount)?,
            unfinished: count(C::UnfinishedCount)?,
            duplicates: count(C::DuplicateCount)?,
            dropped: int(C::DroppedCount)?,
        },
        ..Trace::default()
    })
}

/// The spans of one trace (hex id), fully derived, as a set of its own.
pub fn load_trace_by_id(
    path: &Path,
    trace_id: &str,
    prices: &crate::semconv::PriceTable,
) -> Result<TraceSet, StoreError> {
    load_traces_by_id(path, &[trace_id.to_owned()], prices)
}

/// Gives the traces of `set` (read from the store) the findings their import
/// decided, which judged them among that import's peers (a few traces alone have too
/// few to judge runaways and slow steps); traces without stored findings keep the
/// ones derived here.
pub(super) fn stored_findings(conn: &Connection, set: &mut TraceSet) -> rusqlite::Result<()> {
    let v: i64 = conn.pragma_query_value(None, "user_version", |r| r.get(0))?;
    if v < 4 {
        return Ok(());
    }
    let mut st = conn.prepare("SELECT findings FROM traces WHERE trace_id = ?1")?;
    let mut per_trace = Vec::with_capacity(set.traces.len());
    for t in 0..set.traces.len() as u32 {
        let tr = &set.traces[t as usize];
        let text: Option<String> = st
            .query_map([tr.id.to_string()], |r| r.get(0))?
            .next()
            .transpose()?
            .flatten();
        let found = match text {
            Some(text) => crate::analysis::findings::from_json(t, &text)
                .into_iter()
                .map(|mut f| {
                    f.spans = f
                        .ids
                        .iter()
                        .filter_map(|id| set.span_at(tr.id, *id))
                        .collect();
                    f
                })
                .collect(),
            None => crate::analysis::findings::of_trace(set, t)
                .unwrap_or_default()
                .to_vec(),
        };
        per_trace.push(found);
    }
    crate::analysis::findings::install(set, per_trace);
    Ok(())
}

/// The trace ids (hex) of a session, in start order.
pub fn session_trace_ids(path: &Path, session: &str) -> Result<Vec<String>, StoreError> {
    let (conn, _) = open_read_only(path)?;
    let e = |x| StoreError::sqlite(path, x);
    let mut st = conn
        .prepare("SELECT trace_id FROM traces WHERE session_id = ?1 ORDER BY start_ns")
        .map_err(e)?;
    let ids = st
        .query_map([session], |r| r.get(0))
        .map_err(e)?
        .collect::<Result<_, _>>()
        .map_err(e)?;
    Ok(ids)
}

/// The spans of several traces, fully derived.
pub fn load_traces_by_id(
    path: &Path,
    ids: &[String],
    prices: &crate::semconv::PriceTable,
) -> Result<TraceSet, StoreError> {
    let (conn, _) = open_read_only(path)?;
    let e = |x| StoreError::sqlite(path, x);
    let batch = read_spans(&conn, Some(ids), 0).map_err(e)?;
    let mut set = TraceSet::build(vec![batch], vec![path.display().to_string()], vec![]);
    crate::semconv::annotate(&mut set, prices);
    crate::analysis::findings::derive(&mut set);
    stored_findings(&conn, &mut set).map_err(e)?;
    Ok(set)
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
    // Schema 1 kept attributes as typed triples in their own table and scopes inline.
    let v1 = conn.pragma_query_value(None, "user_version", |r| r.get::<_, i64>(0))? < 2;
    let decode = if v1 {
        codec::decode_v1_into
    } else {
        codec::decode_into
    };
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
            let slice = decode(&mut batch, &attrs);
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
    // Scopes: by store id (schema 2) or by their inline columns (schema 1).
    let mut scope_ids: FxHashMap<i64, u32> = FxHashMap::default();
    if !v1 {
        let mut st =
            conn.prepare("SELECT id, name, version, attributes, dropped_attributes FROM scopes")?;
        let mut rows = st.query([])?;
        while let Some(r) = rows.next()? {
            let attrs = decode(&mut batch, &r.get::<_, String>(3)?);
            let sc = Scope {
                name: batch.strings.intern(&r.get::<_, String>(1)?),
                version: batch.strings.intern(&r.get::<_, String>(2)?),
                attrs,
                dropped: r.get(4)?,
            };
            scope_ids.insert(r.get(0)?, batch.scopes.len() as u32);
            batch.scopes.push(sc);
        }
    }
    let mut scopes: FxHashMap<(String, String, String), u32> = FxHashMap::default();
    // Both schemas select SpanRead's columns in its order; schema 1 took attributes
    // from a joined table and kept the scope inline (three columns at ScopeId).
    let read_cols: Vec<&str> = SpanRead::ALL.iter().map(|c| c.name()).collect();
    let span_sql = if v1 {
        format!(
            "SELECT {}, a.attributes, s.scope_name, s.scope_version, s.scope_attributes FROM spans s LEFT JOIN attributes a ON a.span_rowid = s.id",
            select_list("s.", &read_cols[..SpanRead::Attributes.at()])
        )
    } else {
        format!("SELECT {} FROM spans s", select_list("s.", &read_cols))
    };
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
        let mut st = conn.prepare(&filter(&span_sql, "s.trace_id", chunk))?;
        let mut rows = st.query(params_from_iter(args.iter()))?;
        while let Some(r) = rows.next()? {
            let rowid: i64 = r.get(SpanRead::Id.at())?;
            let scope = if !v1 {
                scope_ids
                    .get(&r.get(SpanRead::ScopeId.at())?)
                    .copied()
                    .unwrap_or(0)
            } else {
                let at = SpanRead::ScopeId.at();
                let scope_key: (String, String, String) =
                    (r.get(at)?, r.get(at + 1)?, r.get(at + 2)?);
                match scopes.get(&scope_key) {
                    Some(&s) => s,
                    None => {
                        let attrs = decode(&mut batch, &scope_key.2);
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
                }
            };
            let ev_start = batch.events.len();
            for (time, name, attrs, dropped) in events.remove(&rowid).unwrap_or_default() {
                let attrs = decode(&mut batch, &attrs);
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
                let attrs = decode(&mut batch, &attrs);
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
            let attr_text: Option<String> = r.get(SpanRead::Attributes.at())?;
            let attrs = decode(&mut batch, attr_text.as_deref().unwrap_or("[]"));
            let parent: Option<String> = r.get(SpanRead::ParentSpanId.at())?;
            let name: String = r.get(SpanRead::Name.at())?;
            let kind: String = r.get(SpanRead::SpanKind.at())?;
            let status: String = r.get(SpanRead::StatusCode.at())?;
            let msg: String = r.get(SpanRead::StatusMessage.at())?;
            let ts: String = r.get(SpanRead::TraceState.at())?;
            let res_id: i64 = r.get(SpanRead::ResourceId.at())?;
            let span = Span {
                trace_id: id16(&r.get::<_, String>(SpanRead::TraceId.at())?),
                span_id: id8(&r.get::<_, String>(SpanRead::SpanId.at())?),
                parent_span_id: parent.as_deref().map(id8).unwrap_or(SpanId::NONE),
                name: batch.strings.intern(&name),
                kind: SpanKind::from_name(&kind).unwrap_or_default(),
                status: StatusCode::from_name(&status).unwrap_or_default(),
                status_message: batch.strings.intern(&msg),
                start: r.get::<_, i64>(SpanRead::StartNs.at())? as u64,
                end: r.get::<_, i64>(SpanRead::EndNs.at())? as u64,
                flags: r.get(SpanRead::Flags.at())?,
                trace_state: batch.strings.intern(&ts),
                resource: resources.get(&res_id).copied().unwrap_or(0),
                scope,
                attrs,
                events: ev,
                links: lk,
                dropped: [
                    r.get(SpanRead::DroppedAttributes.at())?,
                    r.get(SpanRead::DroppedEvents.at())?,
                    r.get(SpanRead::DroppedLinks.at())?,
                ],
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
