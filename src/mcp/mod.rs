//! `agtrace mcp`: a Model Context Protocol server over stdio, so an AI assistant
//! (Claude Code, Codex, any MCP client) investigates a dump or a store with
//! agtrace's understanding — steps, failure origins, findings, costs — instead of
//! grepping raw JSON. Read-only, and redacted unless started with `--no-redact`: the
//! server holds a redacted copy of the set, so every tool answers from it.
//!
//! Progressive disclosure: `list_traces` → `get_trace` (the outline, paged) →
//! `get_span` (one step in full, paged by characters). Every answer says how much
//! there is, how much it holds, and the arguments that fetch the rest; nothing is cut
//! silently.

mod lines;

use crate::analysis::detail::SectionKind;
use crate::analysis::list::{SortKey, TraceListQuery};
use crate::analysis::outline::TraceOutline;
use crate::analysis::stats::GroupBy;
use crate::model::{FindingKind, TraceSet};
use crate::query::filter::Filter;
use clap::ValueEnum as _;
use rmcp::handler::server::router::tool::ToolRouter;
use rmcp::handler::server::wrapper::Parameters;
use rmcp::model::{Implementation, ServerCapabilities, ServerConfig};
use rmcp::{ErrorData, ServerHandler, ServiceExt as _, schemars, tool, tool_handler, tool_router};
use serde_json::{Value, json};
use std::sync::Arc;

/// Most rows one answer holds, whatever is asked.
const MAX_ROWS: usize = 500;
/// Most bytes of rows in one answer: a page stops early rather than overflow a
/// client's response limit (it says where it stopped).
const MAX_ANSWER_BYTES: usize = 60_000;
/// Most characters of one `get_span` answer's text, whatever is asked.
const MAX_CHARS: usize = 100_000;

/// The server: one loaded (and, by default, redacted) set.
#[derive(Clone)]
pub struct AgtraceMcp {
    set: Arc<TraceSet>,
    redacted: bool,
    tool_router: ToolRouter<Self>,
}

/// `list_traces` arguments.
#[derive(Debug, Default, serde::Deserialize, schemars::JsonSchema)]
pub struct ListArgs {
    /// A filter in agtrace's language, e.g. `status:error`, `tool:refund* dur>2s`,
    /// `session:conv-88`, `finding:loop` (see `agtrace help filter`).
    pub filter: Option<String>,
    /// Sort key: start (default), duration, spans, errors, tokens, cost, name.
    pub sort: Option<String>,
    /// Rows to skip (paging).
    pub offset: Option<usize>,
    /// Rows to return (default 50, at most 500).
    pub limit: Option<usize>,
}

/// `get_trace` arguments.
#[derive(Debug, Default, serde::Deserialize, schemars::JsonSchema)]
pub struct TraceArgs {
    /// The trace id or a unique prefix of it.
    pub trace_id: String,
    /// Spans (in tree pre-order) to skip (paging).
    pub offset: Option<usize>,
    /// Spans to return (default 200, at most 500).
    pub limit: Option<usize>,
    /// Only spans up to this depth (0 = roots).
    pub max_depth: Option<u32>,
    /// Only spans matching this filter, with their ancestors.
    pub filter: Option<String>,
}

/// `get_span` arguments.
#[derive(Debug, Default, serde::Deserialize, schemars::JsonSchema)]
pub struct SpanArgs {
    /// The span id or a unique prefix of it.
    pub span_id: String,
    /// The trace id (or prefix) when the span id prefix is ambiguous.
    pub trace_id: Option<String>,
    /// Sections: summary, messages, tool, attributes, events, links, transcript
    /// (default: summary, messages, tool).
    pub sections: Option<Vec<String>>,
    /// Characters of text to skip (paging through a long step).
    pub offset: Option<usize>,
    /// Characters to return (default 20000, at most 100000).
    pub max_chars: Option<usize>,
}

/// `find` arguments.
#[derive(Debug, Default, serde::Deserialize, schemars::JsonSchema)]
pub struct FindArgs {
    /// Finding kind: failure_origin, continued_after_failure, empty_result, loop,
    /// runaway, slow, truncated, broken_trace, waste, content_missing (default: all).
    pub kind: Option<String>,
    /// Only findings of traces matching this filter.
    pub filter: Option<String>,
    /// Rows to skip (paging).
    pub offset: Option<usize>,
    /// Rows to return (default 50, at most 500).
    pub limit: Option<usize>,
}

/// `compare_traces` arguments.
#[derive(Debug, Default, serde::Deserialize, schemars::JsonSchema)]
pub struct CompareArgs {
    /// The first run: a trace id or a unique prefix (e.g. one that worked).
    pub trace_a: String,
    /// The second run (e.g. one that failed).
    pub trace_b: String,
    /// Aligned steps to skip (paging).
    pub offset: Option<usize>,
    /// Aligned steps to return (default 100, at most 500).
    pub limit: Option<usize>,
}

/// `stats` arguments.
#[derive(Debug, Default, serde::Deserialize, schemars::JsonSchema)]
pub struct StatsArgs {
    /// Group by: tool (default), model, kind, name, service, session, agent.
    pub by: Option<String>,
    /// Only steps (or traces, for session and agent) matching this filter.
    pub filter: Option<String>,
    /// Rows to return (default 50, at most 500), largest first.
    pub limit: Option<usize>,
}

fn bad(msg: impl Into<String>) -> ErrorData {
    ErrorData::invalid_params(msg.into(), None)
}

fn filter_of(text: Option<&str>) -> Result<Filter, ErrorData> {
    match text {
        Some(t) if !t.trim().is_empty() => Filter::parse(t)
            .map_err(|e| bad(format!("filter {t:?}: {e} (see `agtrace help filter`)"))),
        _ => Ok(Filter::default()),
    }
}

fn page(offset: Option<usize>, limit: Option<usize>, default: usize) -> (usize, usize) {
    (
        offset.unwrap_or(0),
        limit.unwrap_or(default).clamp(1, MAX_ROWS),
    )
}

/// The paging facts every answer carries.
fn paging(total: usize, offset: usize, returned: usize, how: &str) -> Value {
    let next = offset + returned;
    let more = total.saturating_sub(next);
    json!({
        "total": total,
        "offset": offset,
        "returned": returned,
        "more": more,
        "next": if more > 0 { json!(format!("call again with offset={next} {how}")) } else { Value::Null },
    })
}

fn text(v: Value) -> String {
    serde_json::to_string(&v).unwrap_or_default()
}

/// Rows for one page: at most `limit`, and no more than [`MAX_ANSWER_BYTES`] of them.
fn take_rows(rows: impl Iterator<Item = Value>, limit: usize) -> Vec<Value> {
    take_rows_within(rows, limit, MAX_ANSWER_BYTES)
}

/// Rows for one page within `budget` bytes. A row too big for a page on its own is
/// shortened to fit ([`shorten`], marked `truncated`), so that a page always moves
/// on and never passes the budget.
fn take_rows_within(rows: impl Iterator<Item = Value>, limit: usize, budget: usize) -> Vec<Value> {
    let mut out = Vec::new();
    let mut bytes = 0;
    for mut r in rows.take(limit) {
        let mut n = r.to_string().len();
        if out.is_empty() && n > budget {
            r = shorten(r, budget);
            n = r.to_string().len();
        }
        if bytes + n > budget {
            break;
        }
        bytes += n;
        out.push(r);
    }
    out
}

/// Longest text kept of one string in a shortened row.
const SHORT_TEXT: usize = 2_000;
/// Elements kept of one list in a shortened row.
const SHORT_LIST: usize = 10;

/// `row` cut to fit `budget` bytes: long strings cut (saying how long they were),
/// long lists cut (saying how many there were), halving both until it fits; marked
/// `"truncated": true` with where to find the rest.
fn shorten(mut row: Value, budget: usize) -> Value {
    fn cut(v: &mut Value, text: usize, list: usize) {
        match v {
            Value::String(s) if s.chars().count() > text => {
                let n = s.chars().count();
                let kept: String = s.chars().take(text).collect();
                *s = format!("{kept}… [{n} chars; cut to fit the page]");
            }
            Value::Array(a) => {
                let n = a.len();
                a.truncate(list);
                a.iter_mut().for_each(|x| cut(x, text, list));
                if n > list {
                    a.push(json!(format!("… {} more", n - list)));
                }
            }
            Value::Object(o) => o.values_mut().for_each(|x| cut(x, text, list)),
            _ => {}
        }
    }
    let (mut text, mut list) = (SHORT_TEXT, SHORT_LIST);
    let original = row.clone();
    loop {
        row = original.clone();
        cut(&mut row, text, list);
        if let Some(o) = row.as_object_mut() {
            o.insert("truncated".into(), json!(true));
            o.insert(
                "truncated_note".into(),
                json!("this row was cut to fit one answer: get_trace, get_span (paged by characters) or find with a narrower filter give the rest"),
            );
        }
        if row.to_string().len() <= budget || (text <= 16 && list <= 1) {
            return row;
        }
        text = (text / 2).max(16);
        list = (list / 2).max(1);
    }
}

/// Span ids listed per finding; the rest are counted.
const MAX_FINDING_SPANS: usize = 10;

/// A finding as an answer row: its first span ids, and how many it points at.
fn finding_row(f: &crate::model::Finding) -> Value {
    let mut v = crate::analysis::findings::finding_json(f);
    cap_span_ids(&mut v);
    v
}

/// Cuts a finding object's `span_ids` to [`MAX_FINDING_SPANS`], counting them in
/// `span_count` when there were more.
fn cap_span_ids(f: &mut Value) {
    let Some(ids) = f.get_mut("span_ids").and_then(Value::as_array_mut) else {
        return;
    };
    let n = ids.len();
    ids.truncate(MAX_FINDING_SPANS);
    if n > MAX_FINDING_SPANS
        && let Some(o) = f.as_object_mut()
    {
        o.insert("span_count".into(), json!(n));
    }
}

/// A trace as an answer row: `ls --json`'s object, its findings' span lists capped.
fn trace_row(set: &TraceSet, tr: &crate::model::Trace) -> Value {
    let mut v = crate::analysis::json::trace_json(set, tr);
    let mut more = 0;
    if let Some(found) = v.get_mut("findings").and_then(Value::as_array_mut) {
        // A row lists its first findings; `find` pages through all of them.
        more = found.len().saturating_sub(MAX_ROW_FINDINGS);
        found.truncate(MAX_ROW_FINDINGS);
        found.iter_mut().for_each(cap_span_ids);
    }
    if more > 0
        && let Some(o) = v.as_object_mut()
    {
        o.insert(
            "findings_more".into(),
            json!(format!(
                "{more} more findings: call find with filter 'trace:{}'",
                tr.id
            )),
        );
    }
    compact(v)
}

/// Findings listed in one trace row.
const MAX_ROW_FINDINGS: usize = 10;

/// Drops null and empty fields from an object (compact rows).
fn compact(mut v: Value) -> Value {
    if let Some(o) = v.as_object_mut() {
        o.retain(|_, x| {
            !(x.is_null()
                || x.as_str().is_some_and(str::is_empty)
                || x.as_array().is_some_and(Vec::is_empty))
        });
    }
    v
}

impl AgtraceMcp {
    /// A server answering from `set` (already redacted when `redacted`).
    pub fn new(set: TraceSet, redacted: bool) -> AgtraceMcp {
        AgtraceMcp {
            set: Arc::new(set),
            redacted,
            tool_router: Self::tool_router(),
        }
    }

    /// A trace's failure origins as answer rows.
    fn origin_rows<'a>(&'a self, outline: &'a TraceOutline) -> impl Iterator<Item = Value> + 'a {
        let set = &*self.set;
        outline.origins.iter().map(move |o| {
            let s = &set.spans[o.span as usize];
            json!({
                "span_id": s.span_id.to_string(),
                "name": set.str(s.name),
                "reason": crate::analysis::detail::step_reason(set, s, &set.step(o.span)),
                "propagated_to": o.propagated_to.iter().take(MAX_FINDING_SPANS).map(|&p| set.spans[p as usize].span_id.to_string()).collect::<Vec<_>>(),
            })
        })
    }

    fn trace_of(&self, prefix: &str) -> Result<u32, ErrorData> {
        let p = prefix.trim().to_ascii_lowercase();
        if p.is_empty() || !p.chars().all(|c| c.is_ascii_hexdigit()) {
            return Err(bad(format!(
                "trace_id {prefix:?}: expected hex digits (a trace id or its prefix, from list_traces)"
            )));
        }
        let found = self.set.find_traces(&p);
        match found.len() {
            0 => Err(bad(format!(
                "no trace id starts with {p} (list_traces lists them)"
            ))),
            1 => Ok(found[0]),
            n => Err(bad(format!("{n} traces start with {p}: give more digits"))),
        }
    }
}

#[tool_router]
impl AgtraceMcp {
    /// The traces, one row each, filtered and sorted, a page at a time.
    #[tool(
        description = "List the traces (agent runs) loaded: id, root name, service, session, start, duration, spans, LLM/tool calls, errors, tokens, cost, findings. Filter with agtrace's filter language (e.g. 'status:error', 'tool:search* dur>2s', 'session:ID', 'finding:loop'); paged with offset/limit. Start here."
    )]
    pub fn list_traces(&self, Parameters(a): Parameters<ListArgs>) -> Result<String, ErrorData> {
        let filter = filter_of(a.filter.as_deref())?;
        let mut q = TraceListQuery::new(filter);
        if let Some(s) = &a.sort {
            q.sort = SortKey::from_str(s, true).map_err(|_| {
                bad(format!(
                    "sort {s:?}: expected start, duration, spans, errors, tokens, cost or name"
                ))
            })?;
            q.descending = q.sort.descending_by_default();
        }
        let rows = q.run(&self.set);
        let (offset, limit) = page(a.offset, a.limit, 50);
        let shown = take_rows(
            rows.iter()
                .skip(offset)
                .map(|&t| trace_row(&self.set, &self.set.traces[t as usize])),
            limit,
        );
        Ok(text(json!({
            "paging": paging(rows.len(), offset, shown.len(), "(same filter and sort)"),
            "redacted": self.redacted,
            "traces": shown,
        })))
    }

    /// One trace's outline: its summary, findings and failure origins, then its
    /// spans in tree pre-order, a page at a time.
    #[tool(
        description = "The outline of one trace: totals, failure origins, findings, and its spans in tree order (depth, kind, name, model or tool, duration, tokens, cost, outcome, finding badges), paged with offset/limit. Use get_span for one step's messages, tool arguments and result."
    )]
    pub fn get_trace(&self, Parameters(a): Parameters<TraceArgs>) -> Result<String, ErrorData> {
        let set = &*self.set;
        let t = self.trace_of(&a.trace_id)?;
        let tr = &set.traces[t as usize];
        let outline = TraceOutline::build(set, t);
        let filter = filter_of(a.filter.as_deref())?;
        let order: Vec<u32> = if filter.is_empty() {
            outline.order.clone()
        } else {
            crate::export::select(set, &[t], Some(&filter))
        };
        let order: Vec<u32> = order
            .into_iter()
            .filter(|&i| a.max_depth.is_none_or(|d| set.spans[i as usize].depth <= d))
            .collect();
        let (offset, limit) = page(a.offset, a.limit, 200);
        // The first page carries the trace's row, origins and findings: the spans get
        // what they leave of the answer's bytes.
        let head = if offset == 0 {
            let row = take_rows(std::iter::once(trace_row(set, tr)), 1);
            let origins = take_rows_within(self.origin_rows(&outline), 50, MAX_ANSWER_BYTES / 4);
            let all = crate::analysis::findings::of_trace(set, t).unwrap_or_default();
            let findings = take_rows_within(all.iter().map(finding_row), 50, MAX_ANSWER_BYTES / 4);
            Some((row, origins, findings, all.len()))
        } else {
            None
        };
        let used: usize = head.as_ref().map_or(0, |(row, origins, findings, _)| {
            json!([row, origins, findings]).to_string().len()
        });
        let budget = MAX_ANSWER_BYTES
            .saturating_sub(used)
            .max(MAX_ANSWER_BYTES / 4);
        let spans = take_rows_within(order.iter().skip(offset).map(|&i| {
                let s = &set.spans[i as usize];
                let step = set.step(i);
                let totals = outline.totals_of(i);
                let badges: Vec<&str> = crate::analysis::findings::led_by(set, i)
                    .map(|f| f.kind.as_str())
                    .collect();
                compact(json!({
                    "span_id": s.span_id.to_string(),
                    "parent_id": if s.parent_span_id.is_none() { Value::Null } else { json!(s.parent_span_id.to_string()) },
                    "depth": s.depth,
                    "name": set.str(s.name),
                    "kind": step.kind.as_str(),
                    "outcome": step.outcome.as_str(),
                    "reason": crate::analysis::json::opt_str(crate::analysis::detail::step_reason(set, s, &step)),
                    "model": crate::analysis::json::opt_str(set.str(step.model)),
                    "tool": crate::analysis::json::opt_str(set.str(step.tool_name)),
                    "duration_ms": s.duration_ns() as f64 / 1e6,
                    "input_tokens": step.tokens.input,
                    "output_tokens": step.tokens.output,
                    "cost_usd": step.cost(),
                    "subtree_spans": totals.spans,
                    "findings": badges,
                }))
            }), limit, budget);
        // The trace's summary, origins and findings come with the first page only.
        let mut answer = json!({
            "paging": paging(order.len(), offset, spans.len(), "(same trace_id, filter and max_depth)"),
            "redacted": self.redacted,
            "spans": spans,
        });
        if let Some((row, origins, findings, all)) = head
            && let Some(o) = answer.as_object_mut()
        {
            o.insert(
                "trace".into(),
                row.into_iter().next().unwrap_or(Value::Null),
            );
            o.insert("failure_origins".into(), json!(origins));
            if findings.len() < all {
                o.insert(
                    "findings_more".into(),
                    json!(format!(
                        "{} more findings: call find with filter 'trace:{}'",
                        all - findings.len(),
                        tr.id
                    )),
                );
            }
            o.insert("findings".into(), json!(findings));
        }
        Ok(text(answer))
    }

    /// One step in full: its summary, conversation, tool call, attributes…, as text,
    /// paged by characters.
    #[tool(
        description = "One span (step) in full, as text: summary (kind, status, timing, tokens, cost, findings), messages (the conversation of an LLM call), tool (arguments and result), attributes, events, links, transcript. Choose sections; long text is paged with offset/max_chars."
    )]
    pub fn get_span(&self, Parameters(a): Parameters<SpanArgs>) -> Result<String, ErrorData> {
        let set = &*self.set;
        let p = a.span_id.trim().to_ascii_lowercase();
        if p.is_empty() || !p.chars().all(|c| c.is_ascii_hexdigit()) {
            return Err(bad(format!(
                "span_id {:?}: expected hex digits (a span id from get_trace)",
                a.span_id
            )));
        }
        let wanted = a
            .sections
            .clone()
            .unwrap_or_else(|| vec!["summary".into(), "messages".into(), "tool".into()]);
        let mut kinds = Vec::new();
        for name in &wanted {
            kinds.push(match name.to_ascii_lowercase().as_str() {
                "summary" => SectionKind::Summary,
                "messages" => SectionKind::Messages,
                "tool" => SectionKind::Tool,
                "attributes" => SectionKind::Attributes,
                "events" => SectionKind::Events,
                "links" => SectionKind::Links,
                "raw" => SectionKind::Raw,
                "transcript" => SectionKind::Transcript,
                other => {
                    return Err(bad(format!(
                        "section {other:?}: expected summary, messages, tool, attributes, events, links, raw or transcript"
                    )));
                }
            });
        }
        let trace = match &a.trace_id {
            Some(t) => Some(self.trace_of(t)?),
            None => None,
        };
        let found: Vec<u32> = (0..set.spans.len() as u32)
            .filter(|&i| {
                let s = &set.spans[i as usize];
                trace.is_none_or(|t| s.trace == t) && s.span_id.to_string().starts_with(&p)
            })
            .take(2)
            .collect();
        let i = match found.as_slice() {
            [i] => *i,
            [] => return Err(bad(format!("no span id starts with {p}"))),
            _ => {
                return Err(bad(format!(
                    "more than one span id starts with {p}: give more digits or trace_id"
                )));
            }
        };
        let mut body = String::new();
        for kind in kinds {
            let sec = crate::analysis::detail::section(set, i, kind);
            body.push_str(&format!("## {}\n{}\n\n", kind.title(), sec.text()));
        }
        let chars: Vec<char> = body.chars().collect();
        let offset = a.offset.unwrap_or(0).min(chars.len());
        let max = a.max_chars.unwrap_or(20_000).clamp(1, MAX_CHARS);
        let shown: String = chars[offset..(offset + max).min(chars.len())]
            .iter()
            .collect();
        let s = &set.spans[i as usize];
        Ok(text(json!({
            "span_id": s.span_id.to_string(),
            "trace_id": s.trace_id.to_string(),
            "name": set.str(s.name),
            "sections": wanted,
            "paging": {
                "total_chars": chars.len(),
                "offset": offset,
                "returned_chars": shown.chars().count(),
                "more_chars": chars.len().saturating_sub(offset + max),
                "next": if offset + max < chars.len() { json!(format!("call again with offset={}", offset + max)) } else { Value::Null },
            },
            "redacted": self.redacted,
            "text": shown,
        })))
    }

    /// Findings across the traces: what agtrace thinks is wrong.
    #[tool(
        description = "What agtrace found wrong, across traces: failure origins, steps that carried on after a failure, empty tool results, loops, runaways, slow steps, truncated answers, broken traces, waste, missing content. Each with its trace and span ids and a one-line message; filter by kind and by a trace filter; paged."
    )]
    pub fn find(&self, Parameters(a): Parameters<FindArgs>) -> Result<String, ErrorData> {
        let set = &*self.set;
        let kind = match &a.kind {
            Some(k) => Some(FindingKind::parse(k).ok_or_else(|| {
                let all: Vec<&str> = FindingKind::ALL.iter().map(|k| k.as_str()).collect();
                bad(format!("kind {k:?}: expected one of {}", all.join(", ")))
            })?),
            None => None,
        };
        let filter = filter_of(a.filter.as_deref())?;
        let traces = TraceListQuery::new(filter).run(set);
        let mut rows = Vec::new();
        for t in traces {
            for f in crate::analysis::findings::of_trace(set, t).unwrap_or_default() {
                if kind.is_none_or(|k| f.kind == k) {
                    rows.push((t, f));
                }
            }
        }
        let (offset, limit) = page(a.offset, a.limit, 50);
        let shown = take_rows(
            rows.iter().skip(offset).map(|(t, f)| {
                let mut v = finding_row(f);
                if let Some(o) = v.as_object_mut() {
                    o.insert(
                        "trace_id".into(),
                        json!(set.traces[*t as usize].id.to_string()),
                    );
                }
                v
            }),
            limit,
        );
        Ok(text(json!({
            "paging": paging(rows.len(), offset, shown.len(), "(same kind and filter)"),
            "redacted": self.redacted,
            "findings": shown,
        })))
    }

    /// Where the time, errors and money went, per tool, model, kind…
    #[tool(
        description = "Compares two runs of an agent: their steps aligned by what they are (agent, LLM call, tool by name), each marked same, changed (outcome, model, tool arguments, tool result or the model's answer differ, with both sides), only_a or only_b, and the first step where they went different ways. Use it to see why one run failed where another worked. On a redacted server (the default) content — messages, tool arguments and results — is masked before comparing, so runs that differ only in content compare as the same there; `agtrace mcp --no-redact` compares content."
    )]
    pub fn compare_traces(
        &self,
        Parameters(a): Parameters<CompareArgs>,
    ) -> Result<String, ErrorData> {
        let (ta, tb) = (self.trace_of(&a.trace_a)?, self.trace_of(&a.trace_b)?);
        let d = crate::analysis::diff::diff(&self.set, ta, tb);
        let (offset, limit) = page(a.offset, a.limit, 100);
        let rows = take_rows(
            (offset..d.rows.len()).map(|k| crate::render::diff::row_json(&self.set, &d, k, 4_000)),
            limit,
        );
        Ok(text(json!({
            "comparison": crate::render::diff::summary_json(&self.set, &d),
            "paging": paging(d.rows.len(), offset, rows.len(), "(same trace_a and trace_b)"),
            "redacted": self.redacted,
            "steps": rows,
        })))
    }

    #[tool(
        description = "Aggregates per tool (default), model, kind, name, service, session or agent: calls, errors and error rate, latency p50/p95/p99, tokens, cost. Optionally over the steps matching a filter."
    )]
    pub fn stats(&self, Parameters(a): Parameters<StatsArgs>) -> Result<String, ErrorData> {
        let by = match &a.by {
            Some(b) => GroupBy::from_str(b, true).map_err(|_| {
                bad(format!(
                    "by {b:?}: expected tool, model, kind, name, service, session or agent"
                ))
            })?,
            None => GroupBy::Tool,
        };
        let filter = filter_of(a.filter.as_deref())?;
        let (groups, total) = crate::analysis::stats::group_stats(&self.set, by, &filter);
        let (_, limit) = page(None, a.limit, 50);
        let total_row = take_rows_within(
            std::iter::once(crate::render::stats::group_json(by, &total, true)),
            1,
            MAX_ANSWER_BYTES / 4,
        );
        let shown = take_rows_within(
            groups
                .iter()
                .map(|g| crate::render::stats::group_json(by, g, false)),
            limit,
            MAX_ANSWER_BYTES * 3 / 4,
        );
        Ok(text(json!({
            "by": by.as_str(),
            "paging": paging(groups.len(), 0, shown.len(), "with a larger limit"),
            "total": total_row.into_iter().next().unwrap_or(Value::Null),
            "redacted": self.redacted,
            "groups": shown,
        })))
    }
}

#[tool_handler(router = self.tool_router)]
impl ServerHandler for AgtraceMcp {
    fn get_info(&self) -> ServerConfig {
        let n = self.set.traces.len();
        ServerConfig::new(ServerCapabilities::builder().enable_tools().build())
            .with_server_info(Implementation::new("agtrace", crate::VERSION))
            .with_instructions(format!(
            "agtrace: {n} traces ({} spans) of AI agent runs are loaded{}. Start with list_traces (e.g. filter 'status:error'), or find for what is wrong; get_trace gives one trace's outline; get_span one step in full. Answers are paged: each says how much more there is and how to ask for it.",
            self.set.spans.len(),
            if self.redacted { ", redacted (secrets, personal data and message content masked)" } else { "" }
        ))
    }
}

/// Serves `set` over stdin/stdout until the client closes the connection. Every
/// request line is answered: those the server cannot read by a JSON-RPC error (see
/// [`lines`]).
pub fn serve(set: TraceSet, redacted: bool) -> std::io::Result<()> {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    rt.block_on(async move {
        let (to_server, server_in) = tokio::io::duplex(1 << 16);
        let (server_out, from_server) = tokio::io::duplex(1 << 16);
        let (out, lines_out) = tokio::sync::mpsc::unbounded_channel();
        let writer = tokio::spawn(lines::write_lines(lines_out, tokio::io::stdout()));
        let reader = tokio::spawn(lines::read_requests(
            tokio::io::stdin(),
            to_server,
            out.clone(),
        ));
        let answers = tokio::spawn(lines::read_answers(from_server, out));
        let service = AgtraceMcp::new(set, redacted)
            .serve((server_in, server_out))
            .await
            .map_err(std::io::Error::other)?;
        service.waiting().await.map_err(std::io::Error::other)?;
        // The input ended (the server saw its end); the last answers go out.
        let _ = reader.await;
        let _ = answers.await;
        let _ = writer.await;
        Ok(())
    })
}
