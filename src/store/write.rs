//! Writing a derived trace set into a store. Traces go in id order, a batch of them
//! per transaction; a second thread encodes each batch's attribute JSON and
//! searchable text while SQLite writes the one before, so the writer thread spends its
//! time in SQLite. The full-text index gets one document per trace: the names, tool
//! names and text (see `text`) of the spans this import added to it.

use super::codec;
use super::columns::{SpanCol, TraceCol, insert_sql};
use super::static_insert::{StaticInsert, Value};
use crate::model::{CostSource, Sym, TraceSet};
use rusqlite::{Connection, TransactionBehavior, params};

const SPAN_COLS: usize = SpanCol::ALL.len();
const TRACE_COLS: usize = TraceCol::ALL.len();

fn names<C: Copy>(cols: &[C], name: fn(C) -> &'static str) -> Vec<&'static str> {
    cols.iter().map(|&c| name(c)).collect()
}
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
                for b in to_encode {
                    let mut enc = spent.try_recv().unwrap_or_default();
                    enc.fill(set, b);
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

/// A batch's per-span texts, in writing order: the attribute JSON and the searchable
/// text of each span, back to back in one buffer.
#[derive(Default)]
struct Encoded {
    text: String,
    ends: Vec<usize>,
}

impl Encoded {
    /// Refills the buffers with a batch of traces.
    fn fill(&mut self, set: &TraceSet, traces: &[u32]) {
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
                seen.push_span(text, set, &set.spans[i as usize]);
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
    /// Each trace's peer measures.
    measures: super::peers::MeasureWriter<'c>,
}

/// The full-text document of one trace, refilled for each: its distinct span names and
/// tool names (repeats add nothing to "which traces say this") and all its message text.
#[derive(Default)]
struct TraceDoc {
    names: Vec<Sym>,
    tools: Vec<Sym>,
    /// Names and tool names already in `names` or `tools` (a trace can have many).
    seen: rustc_hash::FxHashSet<(bool, Sym)>,
    text: String,
    name_text: String,
    tool_text: String,
}

impl TraceDoc {
    fn clear(&mut self) {
        self.names.clear();
        self.tools.clear();
        self.seen.clear();
        self.text.clear();
    }

    fn add(&mut self, name: Sym, tool: Sym, text: &str) {
        if self.seen.insert((false, name)) {
            self.names.push(name);
        }
        if !tool.is_empty() && self.seen.insert((true, tool)) {
            self.tools.push(tool);
        }
        self.text.push_str(text);
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
        (&self.name_text, &self.tool_text, &self.text)
    }
}

impl Writer<'_, '_> {
    /// Adds the events of a stored span beyond those the store holds (the set's events
    /// are the stored ones first, then the ones joined since).
    fn append_events(
        &mut self,
        s: &crate::model::Span,
        trace_hex: &str,
        span_hex: &str,
    ) -> rusqlite::Result<()> {
        let set = self.set;
        let events = set.span_events(s);
        if events.is_empty() {
            return Ok(());
        }
        let rowid: i64 = self
            .conn
            .prepare_cached("SELECT rowid FROM spans WHERE trace_id = ?1 AND span_id = ?2")?
            .query_row([trace_hex, span_hex], |r| r.get(0))?;
        let stored: i64 = self
            .conn
            .prepare_cached("SELECT count(*) FROM events WHERE span_rowid = ?1")?
            .query_row([rowid], |r| r.get(0))?;
        self.events(rowid, s, stored.max(0) as usize)
    }

    /// Writes the span's events from the `from`th on, under its row.
    fn events(&mut self, rowid: i64, s: &crate::model::Span, from: usize) -> rusqlite::Result<()> {
        let set = self.set;
        for (k, ev) in set.span_events(s).iter().enumerate().skip(from) {
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
        Ok(())
    }
}

impl<'c, 's> Writer<'c, 's> {
    fn new(conn: &'c Connection, set: &'s TraceSet) -> rusqlite::Result<Writer<'c, 's>> {
        Ok(Writer {
            conn,
            set,
            span: StaticInsert::new(
                conn,
                &insert_sql("OR IGNORE ", "spans", &names(SpanCol::ALL, SpanCol::name)),
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
                "INSERT INTO trace_text (rowid, name, tool_name, text) VALUES (?1, ?2, ?3, ?4)",
            )?,
            trace: StaticInsert::new(
                conn,
                &insert_sql(
                    "OR REPLACE ",
                    "traces",
                    &names(TraceCol::ALL, TraceCol::name),
                ),
            )?,
            resources: RowIds::default(),
            scopes: RowIds::default(),
            doc: TraceDoc::default(),
            measures: super::peers::MeasureWriter::new(conn)?,
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
            let (attrs, text) = texts.next_span();
            let rid = self.resource_id(s.resource)?;
            let sid = self.scope_id(s.scope)?;
            let span_hex = s.span_id.hex();
            let parent_hex = s.parent_span_id.hex();
            let reason = opt_str(set.str(step.reason));
            let row: [Value; SPAN_COLS] = std::array::from_fn(|k| match SpanCol::ALL[k] {
                SpanCol::TraceId => trace_hex.as_str().into(),
                SpanCol::SpanId => span_hex.as_str().into(),
                SpanCol::ParentSpanId => (!s.parent_span_id.is_none())
                    .then(|| parent_hex.as_str())
                    .into(),
                SpanCol::Name => set.str(s.name).into(),
                SpanCol::Kind => step.kind.as_str().into(),
                SpanCol::Model => opt_str(set.str(step.model)).into(),
                SpanCol::Provider => opt_str(set.str(step.provider)).into(),
                SpanCol::ToolName => opt_str(set.str(step.tool_name)).into(),
                SpanCol::SessionId => opt_str(set.str(step.session)).into(),
                SpanCol::UserId => opt_str(set.str(step.user)).into(),
                SpanCol::AgentName => opt_str(set.str(step.agent_name)).into(),
                SpanCol::InputTokens => step.tokens.input.map(|v| v as i64).into(),
                SpanCol::OutputTokens => step.tokens.output.map(|v| v as i64).into(),
                SpanCol::CostUsd => {
                    matches!(step.cost_source, CostSource::Provided | CostSource::Priced)
                        .then_some(step.cost_usd)
                        .into()
                }
                SpanCol::Status => step.outcome.as_str().into(),
                SpanCol::StatusReason => reason.into(),
                SpanCol::StartNs => Value::Int(s.start as i64),
                SpanCol::EndNs => Value::Int(s.end as i64),
                SpanCol::SpanKind => s.kind.as_str().into(),
                SpanCol::StatusCode => s.status.as_str().into(),
                SpanCol::StatusMessage => set.str(s.status_message).into(),
                SpanCol::TraceState => set.str(s.trace_state).into(),
                SpanCol::Flags => Value::Int(s.flags.into()),
                SpanCol::ResourceId => Value::Int(rid),
                SpanCol::ScopeId => Value::Int(sid),
                SpanCol::DroppedAttributes => Value::Int(s.dropped[0].into()),
                SpanCol::DroppedEvents => Value::Int(s.dropped[1].into()),
                SpanCol::DroppedLinks => Value::Int(s.dropped[2].into()),
                SpanCol::Attributes => attrs.into(),
            });
            let n = self.span.execute(&row)?;
            if n == 0 {
                // Stored already: only events it gained (log records that came after
                // it was written) are added.
                self.append_events(s, trace_hex.as_str(), span_hex.as_str())?;
                continue;
            }
            written += 1;
            let rowid = self.conn.last_insert_rowid();
            first_row.get_or_insert(rowid);
            self.doc.add(s.name, step.tool_name, text);
            self.events(rowid, s, 0)?;
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
            let (names, tools, text) = self.doc.columns(set);
            self.text
                .execute(&[Value::Int(rowid), names.into(), tools.into(), text.into()])?;
        }
        let found = crate::analysis::findings::of_trace(set, t as u32);
        self.measures
            .write(set, t as u32, found.unwrap_or_default())?;
        let findings = found.map(|fs| {
            serde_json::Value::Array(
                fs.iter()
                    .map(crate::analysis::findings::finding_json)
                    .collect(),
            )
            .to_string()
        });
        let count = |n: u32| Value::Int(n.into());
        let tokens = |t: Option<u64>| Value::from(t.map(|v| v as i64));
        let ig = &tr.integrity;
        let row: [Value; TRACE_COLS] = std::array::from_fn(|k| match TraceCol::ALL[k] {
            TraceCol::TraceId => trace_hex.as_str().into(),
            TraceCol::RootName => set.str(tr.root_name).into(),
            TraceCol::Service => set.str(tr.service).into(),
            TraceCol::SessionId => opt_str(set.str(tr.session)).into(),
            TraceCol::UserId => opt_str(set.str(tr.user)).into(),
            TraceCol::AgentName => opt_str(set.str(tr.agent_name)).into(),
            TraceCol::StartNs => Value::Int(tr.start as i64),
            TraceCol::EndNs => Value::Int(tr.end as i64),
            TraceCol::DurationMs => Value::Real(tr.duration_ns() as f64 / 1e6),
            TraceCol::SpanCount => count(tr.span_count),
            TraceCol::ErrorCount => count(tr.error_count),
            TraceCol::WarningCount => count(tr.warning_count),
            TraceCol::LlmCalls => count(tr.llm_calls),
            TraceCol::ToolCalls => count(tr.tool_calls),
            TraceCol::InputTokens => tokens(tr.tokens.input),
            TraceCol::OutputTokens => tokens(tr.tokens.output),
            TraceCol::CacheReadTokens => tokens(tr.tokens.cache_read),
            TraceCol::CacheWriteTokens => tokens(tr.tokens.cache_write),
            TraceCol::ReasoningTokens => tokens(tr.tokens.reasoning),
            TraceCol::CostUsd => tr.cost().into(),
            TraceCol::CostPartial => Value::Int(tr.cost_is_partial().into()),
            TraceCol::BillableSteps => count(tr.billable_steps),
            TraceCol::UnpricedSteps => count(tr.unpriced_steps),
            TraceCol::OrphanCount => count(ig.orphans),
            TraceCol::CycleCount => count(ig.cycles),
            TraceCol::ClockSkewCount => count(ig.clock_skew),
            TraceCol::UnfinishedCount => count(ig.unfinished),
            TraceCol::DuplicateCount => count(ig.duplicates),
            TraceCol::DroppedCount => Value::Int(ig.dropped as i64),
            TraceCol::Status => tr.outcome().as_str().into(),
            TraceCol::Findings => findings.as_deref().into(),
        });
        self.trace.execute(&row)?;
        Ok(written)
    }
}
