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

fn open_for_write(
    db: &Path,
    prices: &crate::semconv::PriceTable,
) -> Result<Connection, StoreError> {
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
    // Only takes effect on a new, empty file: 16 KiB pages make the span b-tree and
    // its indexes shallower and halve the page writes of the default 4 KiB.
    conn.pragma_update(None, "page_size", 16384).map_err(e)?;
    conn.pragma_update(None, "journal_mode", "WAL").map_err(e)?;
    conn.pragma_update(None, "synchronous", "NORMAL")
        .map_err(e)?;
    let tables: i64 = conn
        .query_row("SELECT count(*) FROM sqlite_master", [], |r| r.get(0))
        .map_err(e)?;
    let tx = conn.unchecked_transaction().map_err(e)?;
    if tables == 0 {
        schema::create(&tx).map_err(e)?;
    } else {
        match super::flavor_of(&tx, db)? {
            super::Flavor::Agtrace => {
                let v: i64 = tx
                    .pragma_query_value(None, "user_version", |r| r.get(0))
                    .map_err(e)?;
                super::migrate::upgrade(&tx, v, prices).map_err(e)?;
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
    let conn = open_for_write(db, &opts.prices)?;
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

/// Attributes whose text goes into the full-text index as message text.
const MESSAGE_KEYS: &[&str] = &[
    "gen_ai.input.messages",
    "gen_ai.output.messages",
    "gen_ai.system_instructions",
    "input.value",
    "output.value",
    "gen_ai.prompt",
    "gen_ai.completion",
    "gen_ai.tool.call.arguments",
    "gen_ai.tool.call.result",
];

/// What writing keeps across transactions: store ids of resources and scopes already
/// written, and reused buffers.
struct Writer<'s> {
    set: &'s TraceSet,
    resource_ids: FxHashMap<u32, i64>,
    scope_ids: FxHashMap<u32, i64>,
    attrs: Vec<u8>,
    messages: String,
    message_keys: Vec<crate::model::Sym>,
}

impl<'s> Writer<'s> {
    fn new(set: &'s TraceSet) -> Writer<'s> {
        Writer {
            set,
            resource_ids: FxHashMap::default(),
            scope_ids: FxHashMap::default(),
            attrs: Vec::with_capacity(4096),
            messages: String::new(),
            message_keys: MESSAGE_KEYS
                .iter()
                .filter_map(|k| set.strings.lookup(k))
                .collect(),
        }
    }

    fn resource_id(&mut self, conn: &Connection, r: u32) -> rusqlite::Result<i64> {
        if let Some(&id) = self.resource_ids.get(&r) {
            return Ok(id);
        }
        let set = self.set;
        let res = &set.resources[r as usize];
        let attrs = codec::encode(&set.strings, &set.attrs[res.attrs.range()]);
        let svc = set.str(res.service);
        conn.prepare_cached(
            "INSERT OR IGNORE INTO resources (service, attributes, dropped_attributes) VALUES (?1, ?2, ?3)",
        )?
        .execute(params![svc, attrs, res.dropped])?;
        let id = conn
            .prepare_cached(
                "SELECT id FROM resources WHERE service = ?1 AND attributes = ?2 AND dropped_attributes = ?3",
            )?
            .query_row(params![svc, attrs, res.dropped], |row| row.get(0))?;
        self.resource_ids.insert(r, id);
        Ok(id)
    }

    fn scope_id(&mut self, conn: &Connection, s: u32) -> rusqlite::Result<i64> {
        if let Some(&id) = self.scope_ids.get(&s) {
            return Ok(id);
        }
        let set = self.set;
        let sc = &set.scopes[s as usize];
        let attrs = codec::encode(&set.strings, &set.attrs[sc.attrs.range()]);
        let (name, version) = (set.str(sc.name), set.str(sc.version));
        conn.prepare_cached(
            "INSERT OR IGNORE INTO scopes (name, version, attributes, dropped_attributes) VALUES (?1, ?2, ?3, ?4)",
        )?
        .execute(params![name, version, attrs, sc.dropped])?;
        let id = conn
            .prepare_cached(
                "SELECT id FROM scopes WHERE name = ?1 AND version = ?2 AND attributes = ?3 AND dropped_attributes = ?4",
            )?
            .query_row(params![name, version, attrs, sc.dropped], |row| row.get(0))?;
        self.scope_ids.insert(s, id);
        Ok(id)
    }

    /// Writes one trace: its new spans (with attributes, events, links and text) and
    /// its row in `traces`. Returns how many spans were new.
    fn trace(&mut self, conn: &Connection, t: usize) -> rusqlite::Result<u64> {
        let set = self.set;
        let tr = &set.traces[t];
        let mut ins_span = conn.prepare_cached(
            "INSERT OR IGNORE INTO spans (trace_id, span_id, parent_span_id, name, kind, model, provider, tool_name, session_id, user_id, agent_name, input_tokens, output_tokens, cost_usd, status, status_reason, start_ns, end_ns, span_kind, status_code, status_message, trace_state, flags, resource_id, scope_id, dropped_attributes, dropped_events, dropped_links, attributes) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19, ?20, ?21, ?22, ?23, ?24, ?25, ?26, ?27, ?28, ?29)",
        )?;
        let mut ins_text = conn.prepare_cached(
            "INSERT INTO span_text (rowid, name, tool_name, messages) VALUES (?1, ?2, ?3, ?4)",
        )?;
        let trace_hex = tr.id.hex();
        let mut written = 0u64;
        for &i in set.trace_spans(tr) {
            let s = &set.spans[i as usize];
            let step = set.step(i);
            let rid = self.resource_id(conn, s.resource)?;
            let sid = self.scope_id(conn, s.scope)?;
            let span_hex = s.span_id.hex();
            let parent_hex = s.parent_span_id.hex();
            codec::encode_into(&mut self.attrs, &set.strings, set.span_attrs(s));
            let n = ins_span.execute(params![
                trace_hex.as_str(),
                span_hex.as_str(),
                (!s.parent_span_id.is_none()).then(|| parent_hex.as_str()),
                set.str(s.name),
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
                opt_str(set.str(step.reason)),
                s.start as i64,
                s.end as i64,
                s.kind.as_str(),
                s.status.as_str(),
                set.str(s.status_message),
                set.str(s.trace_state),
                s.flags,
                rid,
                sid,
                s.dropped[0],
                s.dropped[1],
                s.dropped[2],
                std::str::from_utf8(&self.attrs).unwrap_or("{}"),
            ])?;
            if n == 0 {
                continue;
            }
            written += 1;
            let rowid = conn.last_insert_rowid();
            for (k, ev) in set.span_events(s).iter().enumerate() {
                conn.prepare_cached("INSERT INTO events (span_rowid, idx, time_ns, name, attributes, dropped_attributes) VALUES (?1, ?2, ?3, ?4, ?5, ?6)")?
                    .execute(params![
                        rowid,
                        k as i64,
                        ev.time as i64,
                        set.str(ev.name),
                        codec::encode(&set.strings, &set.attrs[ev.attrs.range()]),
                        ev.dropped
                    ])?;
            }
            for (k, l) in set.span_links(s).iter().enumerate() {
                conn.prepare_cached("INSERT INTO links (span_rowid, idx, trace_id, span_id, trace_state, flags, attributes, dropped_attributes) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)")?
                    .execute(params![
                        rowid,
                        k as i64,
                        l.trace_id.hex().as_str(),
                        l.span_id.hex().as_str(),
                        set.str(l.trace_state),
                        l.flags,
                        codec::encode(&set.strings, &set.attrs[l.attrs.range()]),
                        l.dropped
                    ])?;
            }
            self.messages.clear();
            for a in set.span_attrs(s) {
                if self.message_keys.contains(&a.key)
                    && let Some(text) = a.value.as_str(&set.strings)
                {
                    super::text::push_searchable(&mut self.messages, text);
                }
            }
            ins_text.execute(params![
                rowid,
                set.str(s.name),
                set.str(step.tool_name),
                self.messages
            ])?;
        }
        conn.prepare_cached(
            "INSERT OR REPLACE INTO traces (trace_id, root_name, service, session_id, user_id, agent_name, start_ns, end_ns, duration_ms, span_count, error_count, warning_count, llm_calls, tool_calls, input_tokens, output_tokens, cache_read_tokens, cache_write_tokens, reasoning_tokens, cost_usd, cost_partial, billable_steps, unpriced_steps, orphan_count, cycle_count, clock_skew_count, unfinished_count, duplicate_count, dropped_count, status) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19, ?20, ?21, ?22, ?23, ?24, ?25, ?26, ?27, ?28, ?29, ?30)",
        )?
        .execute(params![
            trace_hex.as_str(),
            set.str(tr.root_name),
            set.str(tr.service),
            opt_str(set.str(tr.session)),
            opt_str(set.str(tr.user)),
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
        Ok(written)
    }
}

/// Traces in id order: the (trace_id, span_id) index then grows at one end of the
/// b-tree within each batch instead of at random places.
fn id_order(set: &TraceSet) -> Vec<u32> {
    let mut by_id: Vec<u32> = (0..set.traces.len() as u32).collect();
    by_id.sort_unstable_by_key(|&t| set.traces[t as usize].id);
    by_id
}

/// Writes a whole set inside the caller's transaction (used to migrate a store).
pub(super) fn write_all(conn: &Connection, set: &TraceSet) -> rusqlite::Result<()> {
    let mut w = Writer::new(set);
    for t in id_order(set) {
        w.trace(conn, t as usize)?;
    }
    Ok(())
}

fn write(
    conn: &Connection,
    set: &TraceSet,
    report: &mut ImportReport,
    progress: &mut impl FnMut(u64, u64),
) -> rusqlite::Result<()> {
    let total = set.spans.len() as u64;
    let mut done = 0u64;
    let mut w = Writer::new(set);
    let order = id_order(set);
    let mut next = order.iter().peekable();
    while next.peek().is_some() {
        let tx = rusqlite::Transaction::new_unchecked(conn, TransactionBehavior::Immediate)?;
        let mut in_batch = 0usize;
        while in_batch < BATCH_SPANS
            && let Some(&t) = next.next()
        {
            report.spans_written += w.trace(&tx, t as usize)?;
            in_batch += set.trace_spans(&set.traces[t as usize]).len();
            report.traces += 1;
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
