//! `agtrace import`: loads any source agtrace reads and writes it into a store, one
//! transaction per batch of traces. A span is identified by trace and span id, so
//! importing the same data twice changes nothing, and a rerun after an interrupted or
//! failed import continues where it stopped (committed batches stay; the open one
//! rolls back). Traces that already have spans in the store are merged with them.

use super::{StoreError, codec, schema};
use crate::model::{Batch, CostSource, TraceSet};
use crate::source::{Input, LoadOptions};
use rusqlite::{Connection, OpenFlags, TransactionBehavior, params};
use rustc_hash::FxHashMap;
use std::path::Path;

/// What an import did.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct ImportReport {
    /// Spans read from the inputs.
    pub spans_read: u64,
    /// Spans that were new to the store.
    pub spans_written: u64,
    /// Traces written or updated.
    pub traces: u64,
    /// Transactions committed.
    pub batches: u64,
    /// Load warnings, as text.
    pub warnings: Vec<String>,
}

/// Spans per transaction.
pub const BATCH_SPANS: usize = 20_000;

fn open_for_write(db: &Path) -> Result<Connection, StoreError> {
    let e = |x| StoreError::sqlite(db, x);
    if db.exists() && std::fs::metadata(db).is_ok_and(|m| m.len() > 0) && !super::is_sqlite(db) {
        return Err(StoreError::NotAStore {
            path: db.display().to_string(),
        });
    }
    let conn = Connection::open_with_flags(
        db,
        OpenFlags::SQLITE_OPEN_READ_WRITE
            | OpenFlags::SQLITE_OPEN_CREATE
            | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )
    .map_err(e)?;
    conn.busy_timeout(super::BUSY_TIMEOUT).map_err(e)?;
    conn.pragma_update(None, "journal_mode", "WAL").map_err(e)?;
    conn.pragma_update(None, "synchronous", "NORMAL")
        .map_err(e)?;
    let tables: i64 = conn
        .query_row("SELECT count(*) FROM sqlite_master", [], |r| r.get(0))
        .map_err(e)?;
    let tx = conn.unchecked_transaction().map_err(e)?;
    if tables == 0 {
        schema::create_or_migrate(&tx, 0).map_err(e)?;
    } else {
        match super::flavor_of(&tx, db)? {
            super::Flavor::Agtrace => {
                let v: i64 = tx
                    .pragma_query_value(None, "user_version", |r| r.get(0))
                    .map_err(e)?;
                schema::create_or_migrate(&tx, v).map_err(e)?;
            }
            super::Flavor::Phoenix => {
                return Err(StoreError::NotAStore {
                    path: db.display().to_string(),
                });
            }
        }
    }
    tx.commit().map_err(e)?;
    Ok(conn)
}

/// Imports `inputs` into the store at `db` (created if needed). `progress` is called
/// after each committed batch with (spans done, spans total).
pub fn import(
    db: &Path,
    inputs: &[Input],
    opts: &LoadOptions,
    mut progress: impl FnMut(u64, u64),
) -> Result<ImportReport, StoreError> {
    let conn = open_for_write(db)?;
    let e = |x| StoreError::sqlite(db, x);
    let mut set = crate::source::load(inputs, opts).map_err(|x| StoreError::Load(Box::new(x)))?;
    let mut report = ImportReport {
        spans_read: set.spans.len() as u64,
        warnings: set.warnings.iter().map(|w| w.to_string()).collect(),
        ..ImportReport::default()
    };
    // Traces already in the store are merged with their stored spans, so aggregates
    // cover every span of the trace.
    let ids: Vec<String> = set.traces.iter().map(|t| t.id.to_string()).collect();
    let existing = super::read::existing_traces(&conn, &ids).map_err(e)?;
    if !existing.is_empty() {
        let stored =
            super::read::load_traces(&conn, &existing, set.sources.len() as u32).map_err(e)?;
        let names = set.sources.clone();
        let warnings = std::mem::take(&mut set.warnings);
        let mine = set.into_batch();
        let mut names2 = names;
        names2.push(db.display().to_string());
        set = TraceSet::build(vec![mine, stored], names2, warnings);
        crate::semconv::annotate(&mut set, &opts.prices);
    }
    write(&conn, &set, &mut report, &mut progress).map_err(e)?;
    let _ = conn.pragma_update(None, "wal_checkpoint", "TRUNCATE");
    Ok(report)
}

fn opt_str(s: &str) -> Option<&str> {
    (!s.is_empty()).then_some(s)
}

fn write(
    conn: &Connection,
    set: &TraceSet,
    report: &mut ImportReport,
    progress: &mut impl FnMut(u64, u64),
) -> rusqlite::Result<()> {
    let total = set.spans.len() as u64;
    let mut done = 0u64;
    let mut resource_ids: FxHashMap<u32, i64> = FxHashMap::default();
    let mut attr_buf: Vec<u8> = Vec::with_capacity(4096);
    // Traces in id order: the (trace_id, span_id) index then grows at one end of the
    // b-tree within each batch instead of at random places.
    let mut by_id: Vec<u32> = (0..set.traces.len() as u32).collect();
    by_id.sort_unstable_by_key(|&t| set.traces[t as usize].id);
    let mut t = 0usize;
    while t < set.traces.len() {
        let tx = rusqlite::Transaction::new_unchecked(conn, TransactionBehavior::Immediate)?;
        let mut in_batch = 0usize;
        {
            let mut ins_res = tx.prepare_cached("INSERT OR IGNORE INTO resources (service, attributes, dropped_attributes) VALUES (?1, ?2, ?3)")?;
            let mut get_res = tx.prepare_cached(
                "SELECT id FROM resources WHERE service = ?1 AND attributes = ?2",
            )?;
            let mut ins_span = tx.prepare_cached(
                "INSERT OR IGNORE INTO spans (trace_id, span_id, parent_span_id, name, span_kind, start_ns, end_ns, status_code, status_message, trace_state, flags, resource_id, scope_name, scope_version, scope_attributes, dropped_attributes, dropped_events, dropped_links, kind, model, provider, tool_name, session_id, user_id, agent_name, input_tokens, output_tokens, cost_usd, status, status_reason) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19, ?20, ?21, ?22, ?23, ?24, ?25, ?26, ?27, ?28, ?29, ?30)",
            )?;
            let mut ins_attr = tx.prepare_cached(
                "INSERT INTO attributes (span_rowid, attributes) VALUES (?1, ?2)",
            )?;
            let mut ins_event = tx.prepare_cached("INSERT INTO events (span_rowid, idx, time_ns, name, attributes, dropped_attributes) VALUES (?1, ?2, ?3, ?4, ?5, ?6)")?;
            let mut ins_link = tx.prepare_cached("INSERT INTO links (span_rowid, idx, trace_id, span_id, trace_state, flags, attributes, dropped_attributes) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)")?;
            let mut ins_text = tx.prepare_cached(
                "INSERT INTO span_text (rowid, name, tool_name, messages) VALUES (?1, ?2, ?3, ?4)",
            )?;
            let mut ins_trace = tx.prepare_cached(
                "INSERT OR REPLACE INTO traces (trace_id, root_name, service, session_id, agent_name, start_ns, end_ns, duration_ms, span_count, error_count, warning_count, llm_calls, tool_calls, input_tokens, output_tokens, cache_read_tokens, cache_write_tokens, reasoning_tokens, cost_usd, cost_partial, billable_steps, unpriced_steps, orphan_count, cycle_count, clock_skew_count, unfinished_count, duplicate_count, dropped_count, status) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19, ?20, ?21, ?22, ?23, ?24, ?25, ?26, ?27, ?28, ?29)",
            )?;
            let content_keys: Vec<crate::model::Sym> = [
                "gen_ai.input.messages",
                "gen_ai.output.messages",
                "gen_ai.system_instructions",
                "input.value",
                "output.value",
                "gen_ai.prompt",
                "gen_ai.completion",
                "gen_ai.tool.call.arguments",
                "gen_ai.tool.call.result",
            ]
            .iter()
            .filter_map(|k| set.strings.lookup(k))
            .collect();
            while t < set.traces.len() && in_batch < BATCH_SPANS {
                let tr = &set.traces[by_id[t] as usize];
                for &i in set.trace_spans(tr) {
                    let s = &set.spans[i as usize];
                    let step = set.step(i);
                    let rid = match resource_ids.get(&s.resource) {
                        Some(&id) => id,
                        None => {
                            let r = &set.resources[s.resource as usize];
                            let attrs = codec::encode(&set.strings, &set.attrs[r.attrs.range()]);
                            let svc = set.str(r.service);
                            ins_res.execute(params![svc, attrs, r.dropped])?;
                            let id: i64 =
                                get_res.query_row(params![svc, attrs], |row| row.get(0))?;
                            resource_ids.insert(s.resource, id);
                            id
                        }
                    };
                    let scope = &set.scopes[s.scope as usize];
                    let reason = set.str(step.reason);
                    let n = ins_span.execute(params![
                        s.trace_id.to_string(),
                        s.span_id.to_string(),
                        (!s.parent_span_id.is_none()).then(|| s.parent_span_id.to_string()),
                        set.str(s.name),
                        s.kind.as_str(),
                        s.start as i64,
                        s.end as i64,
                        s.status.as_str(),
                        set.str(s.status_message),
                        set.str(s.trace_state),
                        s.flags,
                        rid,
                        set.str(scope.name),
                        set.str(scope.version),
                        codec::encode(&set.strings, &set.attrs[scope.attrs.range()]),
                        s.dropped[0],
                        s.dropped[1],
                        s.dropped[2],
                        step.kind.as_str(),
                        opt_str(set.str(step.model)),
                        opt_str(set.str(step.provider)),
                        opt_str(set.str(step.tool_name)),
                        opt_str(set.str(step.session)),
                        opt_str(set.str(step.user)),
                        opt_str(set.str(step.agent_name)),
                        step.tokens.input.map(|v| v as i64),
                        step.tokens.output.map(|v| v as i64),
                        matches!(step.cost_source, CostSource::Provided | CostSource::Priced)
                            .then_some(step.cost_usd),
                        step.outcome.as_str(),
                        opt_str(reason),
                    ])?;
                    in_batch += 1;
                    if n == 0 {
                        continue;
                    }
                    report.spans_written += 1;
                    let rowid = tx.last_insert_rowid();
                    codec::encode_into(&mut attr_buf, &set.strings, set.span_attrs(s));
                    ins_attr.execute(params![
                        rowid,
                        std::str::from_utf8(&attr_buf).unwrap_or("[]")
                    ])?;
                    for (k, ev) in set.span_events(s).iter().enumerate() {
                        ins_event.execute(params![
                            rowid,
                            k as i64,
                            ev.time as i64,
                            set.str(ev.name),
                            codec::encode(&set.strings, &set.attrs[ev.attrs.range()]),
                            ev.dropped
                        ])?;
                    }
                    for (k, l) in set.span_links(s).iter().enumerate() {
                        ins_link.execute(params![
                            rowid,
                            k as i64,
                            l.trace_id.to_string(),
                            l.span_id.to_string(),
                            set.str(l.trace_state),
                            l.flags,
                            codec::encode(&set.strings, &set.attrs[l.attrs.range()]),
                            l.dropped
                        ])?;
                    }
                    let mut messages = String::new();
                    for a in set.span_attrs(s) {
                        if content_keys.contains(&a.key)
                            && let Some(text) = a.value.as_str(&set.strings)
                        {
                            messages.push_str(text);
                            messages.push('\n');
                        }
                    }
                    ins_text.execute(params![
                        rowid,
                        set.str(s.name),
                        set.str(step.tool_name),
                        messages
                    ])?;
                }
                ins_trace.execute(params![
                    tr.id.to_string(),
                    set.str(tr.root_name),
                    set.str(tr.service),
                    opt_str(set.str(tr.session)),
                    opt_str(set.str(tr.agent_name)),
                    tr.start as i64,
                    tr.end as i64,
                    tr.duration_ns() as f64 / 1e6,
                    tr.span_count,
                    tr.error_count,
                    tr.warning_count,
                    tr.llm_calls,
                    tr.tool_calls,
                    tr.tokens.input.map(|v| v as i64),
                    tr.tokens.output.map(|v| v as i64),
                    tr.tokens.cache_read.map(|v| v as i64),
                    tr.tokens.cache_write.map(|v| v as i64),
                    tr.tokens.reasoning.map(|v| v as i64),
                    tr.cost(),
                    tr.cost_is_partial(),
                    tr.billable_steps,
                    tr.unpriced_steps,
                    tr.integrity.orphans,
                    tr.integrity.cycles,
                    tr.integrity.clock_skew,
                    tr.integrity.unfinished,
                    tr.integrity.duplicates,
                    tr.integrity.dropped as i64,
                    tr.outcome().as_str(),
                ])?;
                report.traces += 1;
                t += 1;
            }
        }
        tx.commit()?;
        report.batches += 1;
        done += in_batch as u64;
        progress(done, total);
    }
    Ok(())
}

impl TraceSet {
    /// Turns a set back into one batch (derived fields are rebuilt by the next
    /// [`TraceSet::build`]), to merge it with more spans.
    pub fn into_batch(self) -> Batch {
        Batch {
            strings: self.strings,
            spans: self.spans,
            attrs: self.attrs,
            events: self.events,
            links: self.links,
            resources: self.resources,
            scopes: self.scopes,
            warnings: Vec::new(),
        }
    }
}
