//! Writing a derived trace set into a store. Traces go in id order, a batch of them
//! per transaction; a second thread encodes each batch's attribute JSON and
//! searchable text while SQLite writes the one before, so the writer thread spends its
//! time in SQLite. The full-text index gets one document per trace: the names, tool
//! names and message text of the spans this import added to it.

use super::codec;
use super::static_insert::{StaticInsert, Value};
use crate::model::{CostSource, Sym, TraceSet};
use rusqlite::{Connection, TransactionBehavior, params};
use rustc_hash::FxHashMap;
use std::sync::mpsc;

/// Spans per transaction.
pub const BATCH_SPANS: usize = 20_000;

/// What one committed batch did.
#[derive(Debug, Clone, Copy)]
pub struct BatchDone {
    /// Spans that were new to the store.
    pub spans_written: u64,
    /// Traces written or updated.
    pub traces: u64,
    /// Spans handled so far, of all.
    pub spans_done: u64,
    /// Spans to handle in all.
    pub spans_total: u64,
}

/// Writes `set` into the store. With `commit_each`, every batch is its own
/// transaction and `done` is called after each commit; otherwise everything is written
/// inside the caller's transaction (a migration).
pub fn write(
    conn: &Connection,
    set: &TraceSet,
    commit_each: bool,
    mut done: impl FnMut(BatchDone),
) -> rusqlite::Result<()> {
    let batches = plan(set);
    let total = set.spans.len() as u64;
    std::thread::scope(|scope| {
        // Two batches ahead at most: memory stays bounded by the batch size. Spent
        // buffers come back to be refilled, so no batch faults in fresh memory.
        let (tx, rx) = mpsc::sync_channel::<Encoded>(2);
        let (give_back, spent) = mpsc::channel::<Encoded>();
        let to_encode = &batches;
        let encoder = std::thread::Builder::new()
            .name("encode".into())
            .spawn_scoped(scope, move || {
                let keys = message_keys(set);
                for b in to_encode {
                    let mut enc = spent.try_recv().unwrap_or_default();
                    enc.fill(set, b, &keys);
                    if tx.send(enc).is_err() {
                        break;
                    }
                }
            });
        if let Err(e) = encoder {
            return Err(rusqlite::Error::ToSqlConversionFailure(Box::new(e)));
        }
        let mut w = Writer::new(conn, set)?;
        let mut spans_done = 0u64;
        for b in &batches {
            // The encoder only stops early when this side has hung up.
            let Ok(enc) = rx.recv() else { break };
            let tx = if commit_each {
                Some(rusqlite::Transaction::new_unchecked(
                    conn,
                    TransactionBehavior::Immediate,
                )?)
            } else {
                None
            };
            let mut cursor = enc.cursor();
            let mut written = 0u64;
            for &t in b {
                written += w.trace(t as usize, &mut cursor)?;
                spans_done += set.trace_spans(&set.traces[t as usize]).len() as u64;
            }
            if let Some(tx) = tx {
                tx.commit()?;
            }
            let _ = give_back.send(enc);
            done(BatchDone {
                spans_written: written,
                traces: b.len() as u64,
                spans_done,
                spans_total: total,
            });
        }
        Ok(())
    })
}

/// Traces in id order, cut into batches of about [`BATCH_SPANS`] spans. In id order
/// the (trace_id, span_id) index grows at one end of its b-tree within a batch
/// instead of at random places.
fn plan(set: &TraceSet) -> Vec<Vec<u32>> {
    let mut by_id: Vec<u32> = (0..set.traces.len() as u32).collect();
    by_id.sort_unstable_by_key(|&t| set.traces[t as usize].id);
    let mut batches = Vec::new();
    let mut cur = Vec::new();
    let mut spans = 0usize;
    for t in by_id {
        cur.push(t);
        spans += set.trace_spans(&set.traces[t as usize]).len();
        if spans >= BATCH_SPANS {
            batches.push(std::mem::take(&mut cur));
            spans = 0;
        }
    }
    if !cur.is_empty() {
        batches.push(cur);
    }
    batches
}

fn message_keys(set: &TraceSet) -> Vec<Sym> {
    crate::semconv::keys::MESSAGE_KEYS
        .iter()
        .filter_map(|k| set.strings.lookup(k))
        .collect()
}

/// A batch's per-span texts, in writing order: the attribute JSON and the searchable
/// message text of each span, back to back in one buffer.
#[derive(Default)]
struct Encoded {
    text: String,
    ends: Vec<usize>,
}

impl Encoded {
    /// Refills the buffers with a batch of traces.
    fn fill(&mut self, set: &TraceSet, traces: &[u32], keys: &[Sym]) {
        let (text, ends) = (&mut self.text, &mut self.ends);
        text.clear();
        ends.clear();
        let mut buf = Vec::with_capacity(4096);
        let mut seen = super::text::Seen::default();
        for &t in traces {
            seen.clear();
            for &i in set.trace_spans(&set.traces[t as usize]) {
                let attrs = set.span_attrs(&set.spans[i as usize]);
                text.push_str(codec::encode_into(&mut buf, &set.strings, attrs));
                ends.push(text.len());
                for a in attrs {
                    if keys.contains(&a.key)
                        && let Some(v) = a.value.as_str(&set.strings)
                    {
                        seen.push(text, v);
                    }
                }
                ends.push(text.len());
            }
        }
    }

    fn cursor(&self) -> Cursor<'_> {
        Cursor {
            enc: self,
            next: 0,
            at: 0,
        }
    }
}

/// Walks an [`Encoded`] batch span by span.
struct Cursor<'e> {
    enc: &'e Encoded,
    next: usize,
    at: usize,
}

impl<'e> Cursor<'e> {
    /// The next span's attribute JSON and searchable text.
    fn next_span(&mut self) -> (&'e str, &'e str) {
        let ends = &self.enc.ends;
        let (a, m) = (
            ends.get(self.next).copied().unwrap_or(self.at),
            ends.get(self.next + 1).copied().unwrap_or(self.at),
        );
        let text = &self.enc.text;
        let out = (
            text.get(self.at..a).unwrap_or("{}"),
            text.get(a..m).unwrap_or(""),
        );
        self.next += 2;
        self.at = m;
        out
    }
}

/// The id of a row in a table whose columns are unique together (resources, scopes):
/// inserted unless it is there already.
fn row_id(
    conn: &Connection,
    insert: &str,
    select: &str,
    values: &[&dyn rusqlite::ToSql],
) -> rusqlite::Result<i64> {
    conn.prepare_cached(insert)?.execute(values)?;
    conn.prepare_cached(select)?
        .query_row(values, |row| row.get(0))
}

fn opt_str(s: &str) -> Option<&str> {
    (!s.is_empty()).then_some(s)
}

/// Store ids of rows unique by their content (resources, scopes), by the set's index
/// and by content: many entries of a set are the same resource (one per batch of spans
/// its sender exported), and each distinct one is looked up in the store once.
struct RowIds<K> {
    by_index: FxHashMap<u32, i64>,
    by_content: FxHashMap<K, i64>,
}

impl<K> Default for RowIds<K> {
    fn default() -> Self {
        RowIds {
            by_index: FxHashMap::default(),
            by_content: FxHashMap::default(),
        }
    }
}

impl<K: std::hash::Hash + Eq> RowIds<K> {
    /// The id of entry `index`, whose content `key` gives; `store` finds or inserts
    /// the row for content not seen yet.
    fn id(
        &mut self,
        index: u32,
        key: impl FnOnce() -> K,
        store: impl FnOnce(&K) -> rusqlite::Result<i64>,
    ) -> rusqlite::Result<i64> {
        if let Some(&id) = self.by_index.get(&index) {
            return Ok(id);
        }
        let key = key();
        let id = match self.by_content.get(&key) {
            Some(&id) => id,
            None => {
                let id = store(&key)?;
                self.by_content.insert(key, id);
                id
            }
        };
        self.by_index.insert(index, id);
        Ok(id)
    }
}

/// Prepared statements and the store ids of resources and scopes already written.
struct Writer<'c, 's> {
    conn: &'c Connection,
    set: &'s TraceSet,
    span: StaticInsert<'c>,
    text: StaticInsert<'c>,
    event: StaticInsert<'c>,
    link: StaticInsert<'c>,
    trace: StaticInsert<'c>,
    /// Reused buffer for event and link attribute JSON.
    json: Vec<u8>,
    resources: RowIds<(Sym, String, u32)>,
    scopes: RowIds<(Sym, Sym, String, u32)>,
    doc: TraceDoc,
}

/// The full-text document of one trace, refilled for each: its distinct span names and
/// tool names (repeats add nothing to "which traces say this") and all its message text.
#[derive(Default)]
struct TraceDoc {
    names: Vec<Sym>,
    tools: Vec<Sym>,
    /// Names and tool names already in `names` or `tools` (a trace can have many).
    seen: rustc_hash::FxHashSet<(bool, Sym)>,
    messages: String,
    name_text: String,
    tool_text: String,
}

impl TraceDoc {
    fn clear(&mut self) {
        self.names.clear();
        self.tools.clear();
        self.seen.clear();
        self.messages.clear();
    }

    fn add(&mut self, name: Sym, tool: Sym, messages: &str) {
        if self.seen.insert((false, name)) {
            self.names.push(name);
        }
        if !tool.is_empty() && self.seen.insert((true, tool)) {
            self.tools.push(tool);
        }
        self.messages.push_str(messages);
    }

    /// The name and tool-name columns, one value per line.
    fn columns(&mut self, set: &TraceSet) -> (&str, &str, &str) {
        let join = |out: &mut String, syms: &[Sym]| {
            out.clear();
            for &s in syms {
                out.push_str(set.str(s));
                out.push('\n');
            }
        };
        join(&mut self.name_text, &self.names);
        join(&mut self.tool_text, &self.tools);
        (&self.name_text, &self.tool_text, &self.messages)
    }
}

impl<'c, 's> Writer<'c, 's> {
    fn new(conn: &'c Connection, set: &'s TraceSet) -> rusqlite::Result<Writer<'c, 's>> {
        Ok(Writer {
            conn,
            set,
            span: StaticInsert::new(
                conn,
                "INSERT OR IGNORE INTO spans (trace_id, span_id, parent_span_id, name, kind, model, provider, tool_name, session_id, user_id, agent_name, input_tokens, output_tokens, cost_usd, status, status_reason, start_ns, end_ns, span_kind, status_code, status_message, trace_state, flags, resource_id, scope_id, dropped_attributes, dropped_events, dropped_links, attributes) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19, ?20, ?21, ?22, ?23, ?24, ?25, ?26, ?27, ?28, ?29)",
            )?,
            event: StaticInsert::new(
                conn,
                "INSERT INTO events (span_rowid, idx, time_ns, name, attributes, dropped_attributes) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            )?,
            link: StaticInsert::new(
                conn,
                "INSERT INTO links (span_rowid, idx, trace_id, span_id, trace_state, flags, attributes, dropped_attributes) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
            )?,
            json: Vec::new(),
            text: StaticInsert::new(
                conn,
                "INSERT INTO trace_text (rowid, name, tool_name, messages) VALUES (?1, ?2, ?3, ?4)",
            )?,
            trace: StaticInsert::new(
                conn,
                "INSERT OR REPLACE INTO traces (trace_id, root_name, service, session_id, user_id, agent_name, start_ns, end_ns, duration_ms, span_count, error_count, warning_count, llm_calls, tool_calls, input_tokens, output_tokens, cache_read_tokens, cache_write_tokens, reasoning_tokens, cost_usd, cost_partial, billable_steps, unpriced_steps, orphan_count, cycle_count, clock_skew_count, unfinished_count, duplicate_count, dropped_count, status) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19, ?20, ?21, ?22, ?23, ?24, ?25, ?26, ?27, ?28, ?29, ?30)",
            )?,
            resources: RowIds::default(),
            scopes: RowIds::default(),
            doc: TraceDoc::default(),
        })
    }

    fn resource_id(&mut self, r: u32) -> rusqlite::Result<i64> {
        let (set, conn) = (self.set, self.conn);
        self.resources.id(
            r,
            || {
                let res = &set.resources[r as usize];
                let attrs = codec::encode(&set.strings, &set.attrs[res.attrs.range()]);
                (res.service, attrs, res.dropped)
            },
            |(service, attrs, dropped)| {
                row_id(
                    conn,
                    "INSERT OR IGNORE INTO resources (service, attributes, dropped_attributes) VALUES (?1, ?2, ?3)",
                    "SELECT id FROM resources WHERE service = ?1 AND attributes = ?2 AND dropped_attributes = ?3",
                    params![set.str(*service), attrs, dropped],
                )
            },
        )
    }

    fn scope_id(&mut self, s: u32) -> rusqlite::Result<i64> {
        let (set, conn) = (self.set, self.conn);
        self.scopes.id(
            s,
            || {
                let sc = &set.scopes[s as usize];
                let attrs = codec::encode(&set.strings, &set.attrs[sc.attrs.range()]);
                (sc.name, sc.version, attrs, sc.dropped)
            },
            |(name, version, attrs, dropped)| {
                row_id(
                    conn,
                    "INSERT OR IGNORE INTO scopes (name, version, attributes, dropped_attributes) VALUES (?1, ?2, ?3, ?4)",
                    "SELECT id FROM scopes WHERE name = ?1 AND version = ?2 AND attributes = ?3 AND dropped_attributes = ?4",
                    params![set.str(*name), set.str(*version), attrs, dropped],
                )
            },
        )
    }

    /// Writes one trace: its new spans (with events and links), the full-text document
    /// of their text (keyed by the first new span's row id) and its row in `traces`.
    /// Returns how many spans were new.
    fn trace(&mut self, t: usize, texts: &mut Cursor<'_>) -> rusqlite::Result<u64> {
        let set = self.set;
        let tr = &set.traces[t];
        let trace_hex = tr.id.hex();
        let mut written = 0u64;
        let mut first_row = None;
        self.doc.clear();
        for &i in set.trace_spans(tr) {
            let s = &set.spans[i as usize];
            let step = set.step(i);
            let (attrs, messages) = texts.next_span();
            let rid = self.resource_id(s.resource)?;
            let sid = self.scope_id(s.scope)?;
            let span_hex = s.span_id.hex();
            let parent_hex = s.parent_span_id.hex();
            let n = self.span.execute(&[
                trace_hex.as_str().into(),
                span_hex.as_str().into(),
                (!s.parent_span_id.is_none())
                    .then(|| parent_hex.as_str())
                    .into(),
                set.str(s.name).into(),
                step.kind.as_str().into(),
                opt_str(set.str(step.model)).into(),
                opt_str(set.str(step.provider)).into(),
                opt_str(set.str(step.tool_name)).into(),
                opt_str(set.str(step.session)).into(),
                opt_str(set.str(step.user)).into(),
                opt_str(set.str(step.agent_name)).into(),
                step.tokens.input.map(|v| v as i64).into(),
                step.tokens.output.map(|v| v as i64).into(),
                matches!(step.cost_source, CostSource::Provided | CostSource::Priced)
                    .then_some(step.cost_usd)
                    .into(),
                step.outcome.as_str().into(),
                opt_str(set.str(step.reason)).into(),
                Value::Int(s.start as i64),
                Value::Int(s.end as i64),
                s.kind.as_str().into(),
                s.status.as_str().into(),
                set.str(s.status_message).into(),
                set.str(s.trace_state).into(),
                Value::Int(s.flags.into()),
                Value::Int(rid),
                Value::Int(sid),
                Value::Int(s.dropped[0].into()),
                Value::Int(s.dropped[1].into()),
                Value::Int(s.dropped[2].into()),
                attrs.into(),
            ])?;
            if n == 0 {
                continue;
            }
            written += 1;
            let rowid = self.conn.last_insert_rowid();
            first_row.get_or_insert(rowid);
            self.doc.add(s.name, step.tool_name, messages);
            for (k, ev) in set.span_events(s).iter().enumerate() {
                let attrs =
                    codec::encode_into(&mut self.json, &set.strings, &set.attrs[ev.attrs.range()]);
                self.event.execute(&[
                    Value::Int(rowid),
                    Value::Int(k as i64),
                    Value::Int(ev.time as i64),
                    set.str(ev.name).into(),
                    attrs.into(),
                    Value::Int(ev.dropped.into()),
                ])?;
            }
            for (k, l) in set.span_links(s).iter().enumerate() {
                let attrs =
                    codec::encode_into(&mut self.json, &set.strings, &set.attrs[l.attrs.range()]);
                self.link.execute(&[
                    Value::Int(rowid),
                    Value::Int(k as i64),
                    l.trace_id.hex().as_str().into(),
                    l.span_id.hex().as_str().into(),
                    set.str(l.trace_state).into(),
                    Value::Int(l.flags.into()),
                    attrs.into(),
                    Value::Int(l.dropped.into()),
                ])?;
            }
        }
        if let Some(rowid) = first_row {
            let (names, tools, messages) = self.doc.columns(set);
            self.text.execute(&[
                Value::Int(rowid),
                names.into(),
                tools.into(),
                messages.into(),
            ])?;
        }
        let count = |n: u32| Value::Int(n.into());
        let tokens = |t: Option<u64>| Value::from(t.map(|v| v as i64));
        self.trace.execute(&[
            trace_hex.as_str().into(),
            set.str(tr.root_name).into(),
            set.str(tr.service).into(),
            opt_str(set.str(tr.session)).into(),
            opt_str(set.str(tr.user)).into(),
            opt_str(set.str(tr.agent_name)).into(),
            Value::Int(tr.start as i64),
            Value::Int(tr.end as i64),
            Value::Real(tr.duration_ns() as f64 / 1e6),
            count(tr.span_count),
            count(tr.error_count),
            count(tr.warning_count),
            count(tr.llm_calls),
            count(tr.tool_calls),
            tokens(tr.tokens.input),
            tokens(tr.tokens.output),
            tokens(tr.tokens.cache_read),
            tokens(tr.tokens.cache_write),
            tokens(tr.tokens.reasoning),
            tr.cost().into(),
            Value::Int(tr.cost_is_partial().into()),
            count(tr.billable_steps),
            count(tr.unpriced_steps),
            count(tr.integrity.orphans),
            count(tr.integrity.cycles),
            count(tr.integrity.clock_skew),
            count(tr.integrity.unfinished),
            count(tr.integrity.duplicates),
            Value::Int(tr.integrity.dropped as i64),
            tr.outcome().as_str().into(),
        ])?;
        Ok(written)
    }
}
