//! Findings: reading a trace the way an experienced engineer would and saying what is
//! wrong, with the numbers, pointing at the spans. Each rule is a function of one
//! trace (and, for `runaway` and `slow`, of its peers among everything loaded); the
//! thresholds are constants here, documented in README with their reasons. A finding
//! must not fire on a healthy trace: every rule needs positive evidence in the spans.

use super::outline::TraceOutline;
use super::peers::{self, PeerGroup, PeerStats, RunMeasure};
use crate::format;
use crate::model::{Finding, FindingKind, Outcome, Severity, StepKind, TraceSet};
use crate::semconv::keys;
use rustc_hash::FxHashMap;
use serde_json::Value;

/// Each finding, its severity and how it is decided: `agtrace help findings` prints
/// this, README explains the reasons.
pub const RULES: &[(&str, &str)] = &[
    (
        "failure_origin (error)",
        "the deepest span whose own status failed, with the failed ancestors it propagated to; each distinct origin once",
    ),
    (
        "continued_after_failure (warning)",
        "a tool or retrieval failed or returned nothing, a later LLM call carried on, and the run's root span ended without error",
    ),
    (
        "empty_result (warning)",
        "a tool or retrieval that did not fail whose result is null, \"\", [], {}, an MCP result with an empty content list, zero documents, or a result count of 0; not a tool named for an action (write_file, send_email, final_answer) that returns null, None or {}",
    ),
    (
        "loop (warning)",
        "one tool called 3 or more times in a trace with the same arguments (JSON compared with keys sorted) and, where results are recorded, the same result (a poll whose answer changes is not a loop); with the time and the LLM tokens spent meanwhile",
    ),
    (
        "retry (info; warning when no attempt succeeded)",
        "one tool called again with the same arguments after the call failed, until an attempt succeeded or the run gave up; not a loop",
    ),
    (
        "runaway (warning)",
        "an agent run (model or tool calls) with more than 3x the median steps (and 10 more), tokens (and 10k more) or cost (and $0.10 more) of the runs of the same agent (same service and agent name, else the AI SDK's functionId, else root name), with 6 runs or more to judge",
    ),
    (
        "slow (warning)",
        "a tool, retrieval, embedding or rerank step taking more than 2x the p95 of the steps of the same name and at least 250 ms, or an LLM call more than 2x the p95 time per output token of its model, more than 2x its median time and at least 2 s; 20 such steps or more to judge",
    ),
    (
        "truncated (warning)",
        "finish reason length, max_tokens, max_output_tokens, content_filter, SAFETY, RECITATION and the other providers' spellings",
    ),
    (
        "broken_trace (warning; info for clock skew alone)",
        "orphans (naming MCP or A2A server spans: context not propagated across the boundary), unfinished spans, parent cycles, clock skew, dropped attributes/events/links",
    ),
    (
        "waste (info)",
        "time, tokens and cost of an agent run's failed model/tool steps and of a loop's repeated calls",
    ),
    (
        "content_missing (info)",
        "LLM calls without messages or tool calls without arguments and result, and why: stored by reference (*_ref), attributes dropped, or capture off (token counts only)",
    ),
];

/// Calls of one tool with the same arguments that make a loop.
pub const LOOP_MIN_CALLS: usize = 3;
/// Traces of the same agent (or root name) needed to call one a runaway.
pub const RUNAWAY_MIN_PEERS: usize = 6;
/// How many times its peers' median a runaway trace is.
pub const RUNAWAY_FACTOR: f64 = 3.0;
/// How far above its peers' median a runaway trace must also be, per measure: 10
/// steps, 10k tokens, $0.10 (a run of 4 steps against a median of 1 is no runaway).
pub fn runaway_floor(m: RunMeasure) -> f64 {
    match m {
        RunMeasure::Steps => 10.0,
        RunMeasure::Tokens => 10_000.0,
        RunMeasure::Cost => 0.10,
    }
}
/// Steps of the same name (or model) needed to call one slow.
pub const SLOW_MIN_PEERS: usize = 20;
/// How many times its peers' p95 a slow step takes.
pub const SLOW_FACTOR: f64 = 2.0;
/// Shortest tool, retrieval, embedding or rerank step called slow: below it no one
/// waits long enough to care, whatever the ratio (a 10.6 ms tool against a 3.4 ms
/// p95 is noise).
pub const SLOW_MIN_NS: u64 = 250_000_000;
/// Shortest LLM call called slow.
pub const SLOW_MIN_LLM_NS: u64 = 2_000_000_000;

/// Finish reasons that mean the answer was cut off, in the spellings of OpenAI,
/// Anthropic, Gemini, Bedrock and Vertex.
const CUT_OFF: &[&str] = &[
    "length",
    "max_tokens",
    "max_output_tokens",
    "model_length",
    "token_limit",
    "content_filter",
    "content_filtered",
    "safety",
    "recitation",
    "blocklist",
    "prohibited_content",
    "spii",
];

/// Keys whose empty list is an empty result (MCP `content`, retrievers' documents…).
const RESULT_LISTS: &[&str] = &[
    "content",
    "documents",
    "results",
    "items",
    "data",
    "hits",
    "matches",
    "records",
    "rows",
    "structuredContent",
];

/// Keys that say nothing about a result's content (`isError: false`, MCP `_meta`).
const RESULT_NOISE: &[&str] = &["isError", "is_error", "_meta", "total", "count", "status"];

/// Computes the findings of every trace of `set` into it (replacing any).
pub fn derive(set: &mut TraceSet) {
    let mut job = Deriving::start(set);
    while !job.step(set, None) {}
    job.finish(set);
}

/// Computes the findings of `traces` only (the rest get none), judged against the
/// peers of the whole set: what `ls` needs for the rows it prints. A trace's
/// findings are the same as [`derive`] gives it.
pub fn derive_only(set: &mut TraceSet, traces: &[u32]) {
    let peers = Peers::of(set);
    let mut sorted: Vec<u32> = traces.to_vec();
    sorted.sort_unstable();
    sorted.dedup();
    let fresh = findings_for(set, &sorted, &peers);
    let per_trace = spread(set.traces.len(), &sorted, fresh, |_| Vec::new());
    install(set, per_trace);
}

/// One list per trace of `traces` traces: the `fresh` findings of the traces in
/// `decided` (ascending, same order), `others(t)` for the rest.
fn spread(
    traces: usize,
    decided: &[u32],
    fresh: Vec<Vec<Finding>>,
    mut others: impl FnMut(u32) -> Vec<Finding>,
) -> Vec<Vec<Finding>> {
    let mut fresh = decided.iter().copied().zip(fresh).peekable();
    (0..traces as u32)
        .map(|t| match fresh.peek() {
            Some((c, _)) if *c == t => fresh.next().map(|(_, f)| f).unwrap_or_default(),
            _ => others(t),
        })
        .collect()
}

/// Findings being decided a slice at a time, so a caller with a screen to keep
/// alive (the explorer) can decide them between keys instead of before its first
/// frame. The set must not change between [`Deriving::start`] and
/// [`Deriving::finish`] (a new set means a new job).
pub struct Deriving {
    peers: Peers,
    done: Vec<Vec<Finding>>,
    traces: usize,
    spans: usize,
    /// Traces per slice, tuned so a slice takes about the time asked for.
    chunk: usize,
}

impl Deriving {
    /// Starts deciding the findings of `set` (works out the peers, one pass).
    pub fn start(set: &TraceSet) -> Deriving {
        Deriving {
            peers: Peers::of(set),
            done: Vec::with_capacity(set.traces.len()),
            traces: set.traces.len(),
            spans: set.spans.len(),
            chunk: 16,
        }
    }

    /// Decides the next slice of traces (in parallel over the cores), for about
    /// `budget` (`None`: all that are left). True when every trace is decided.
    pub fn step(&mut self, set: &TraceSet, budget: Option<std::time::Duration>) -> bool {
        if set.traces.len() != self.traces || set.spans.len() != self.spans {
            // Not the set this job started on: decide nothing more from it.
            self.done.resize_with(self.traces, Vec::new);
            return true;
        }
        let from = self.done.len();
        let n = match budget {
            None => self.traces - from,
            Some(_) => self.chunk.min(self.traces - from),
        };
        let part: Vec<u32> = (from as u32..(from + n) as u32).collect();
        let started = std::time::Instant::now();
        self.done.extend(findings_for(set, &part, &self.peers));
        if let Some(b) = budget {
            let took = started.elapsed().as_secs_f64().max(1e-6);
            let wanted = (n as f64 * b.as_secs_f64() / took) as usize;
            self.chunk = wanted.clamp(16, self.chunk.saturating_mul(4).max(16));
        }
        self.done.len() >= self.traces
    }

    /// How far along it is: traces decided, of how many.
    pub fn progress(&self) -> (usize, usize) {
        (self.done.len(), self.traces)
    }

    /// Puts the findings decided in place in `set` (the set it started on).
    pub fn finish(self, set: &mut TraceSet) {
        if set.traces.len() != self.traces || set.spans.len() != self.spans {
            return;
        }
        install(set, self.done);
        set.findings_basis = set.spans.len();
    }
}

/// The findings of each of `traces`, most severe first, shared out over the cores
/// (traces are independent once the peers are known). A chunk that panicked leaves
/// its traces without findings, still one entry per trace.
fn findings_for(set: &TraceSet, traces: &[u32], peers: &Peers) -> Vec<Vec<Finding>> {
    let threads = std::thread::available_parallelism()
        .map_or(1, |p| p.get())
        .min(traces.len() / 256 + 1);
    let per = traces.len().div_ceil(threads.max(1)).max(1);
    std::thread::scope(|scope| {
        let handles: Vec<_> = traces
            .chunks(per)
            .map(|part| {
                let h = scope.spawn(move || {
                    part.iter()
                        .map(|&t| sorted(trace_findings(set, t, peers)))
                        .collect::<Vec<_>>()
                });
                (h, part.len())
            })
            .collect();
        handles
            .into_iter()
            .flat_map(|(h, len)| h.join().unwrap_or_else(|_| vec![Vec::new(); len]))
            .collect()
    })
}

/// Brings the findings of a set grown in place up to date: the traces in `changed`
/// (sorted) are looked at again against the whole set's peers, the others keep the
/// findings they had (their spans kept their indices). Their peer comparisons date
/// from when they were last derived, so callers derive the whole set again from time
/// to time ([`derive`]); a set without findings for every earlier trace gets them all.
pub fn derive_changed(set: &mut TraceSet, changed: &[u32]) {
    let before = set.trace_findings.len();
    let known = changed.iter().all(|&t| (t as usize) < set.traces.len());
    let new_ones_changed =
        (before..set.traces.len()).all(|t| changed.binary_search(&(t as u32)).is_ok());
    if before > set.traces.len() || !known || !new_ones_changed {
        return derive(set);
    }
    let peers = Peers::of(set);
    let fresh = findings_for(set, changed, &peers);
    let per_trace = spread(set.traces.len(), changed, fresh, |t| {
        of_trace(set, t)
            .map(<[Finding]>::to_vec)
            .unwrap_or_default()
    });
    install(set, per_trace);
}

/// Puts findings in place, one list per trace in trace order (each most severe
/// first), with the spans' finding marks.
pub fn install(set: &mut TraceSet, per_trace: impl IntoIterator<Item = Vec<Finding>>) {
    let mut findings = Vec::new();
    let mut ranges = Vec::with_capacity(set.traces.len());
    for own in per_trace {
        let from = findings.len() as u32;
        findings.extend(own);
        ranges.push(from..findings.len() as u32);
    }
    let mut marks = vec![0u16; set.spans.len()];
    for f in &findings {
        for &s in &f.spans {
            if let Some(m) = marks.get_mut(s as usize) {
                *m |= f.kind.bit();
            }
        }
    }
    set.findings = findings;
    set.trace_findings = ranges;
    set.finding_marks = marks;
}

/// Most severe first; within a severity, in the order of [`FindingKind::ALL`].
fn sorted(mut fs: Vec<Finding>) -> Vec<Finding> {
    fs.sort_by_key(|f| {
        (
            f.severity,
            FindingKind::ALL.iter().position(|k| *k == f.kind),
        )
    });
    fs
}

/// The findings of trace `t` of `set`, most severe first; `None` when they were not
/// computed (a store's trace list holds no spans to read them from).
pub fn of_trace(set: &TraceSet, t: u32) -> Option<&[Finding]> {
    let r = set.trace_findings.get(t as usize)?;
    set.findings.get(r.start as usize..r.end as usize)
}

/// The JSON object of a finding: `{kind, severity, span_ids, message}`.
pub fn finding_json(f: &Finding) -> Value {
    let ids: Vec<String> = f.ids.iter().map(ToString::to_string).collect();
    serde_json::json!({
        "kind": f.kind.as_str(),
        "severity": f.severity.as_str(),
        "span_ids": ids,
        "message": f.message,
    })
}

/// The findings that point at span `i` first (the span to look at), of its trace's.
pub fn led_by(set: &TraceSet, i: u32) -> impl Iterator<Item = &Finding> {
    let t = set.spans.get(i as usize).map_or(u32::MAX, |s| s.trace);
    of_trace(set, t)
        .unwrap_or_default()
        .iter()
        .filter(move |f| f.spans.first() == Some(&i))
}

/// The short badge of a tree row: the most severe finding led by span `i` (a loop's
/// count on each of its calls, `loop ×4`), and how many more there are (`+1`). Empty
/// when none; runaway and waste are trace-level and show in the header only.
pub fn badge(set: &TraceSet, i: u32) -> String {
    let t = set.spans.get(i as usize).map_or(u32::MAX, |s| s.trace);
    let mut labels = of_trace(set, t)
        .unwrap_or_default()
        .iter()
        .filter_map(|f| match f.kind {
            FindingKind::Loop if f.spans.contains(&i) => Some(format!("loop ×{}", f.spans.len())),
            FindingKind::Waste | FindingKind::Runaway => None,
            k if f.spans.first() == Some(&i) => Some(k.short().to_owned()),
            _ => None,
        });
    let Some(first) = labels.next() else {
        return String::new();
    };
    match labels.count() {
        0 => first,
        more => format!("{first} +{more}"),
    }
}

/// Reads findings back from their JSON (a store's `traces.findings`) for trace `t`;
/// their spans are not loaded, only their ids. Entries that do not parse are skipped.
pub fn from_json(t: u32, text: &str) -> Vec<Finding> {
    let Ok(Value::Array(items)) = serde_json::from_str::<Value>(text) else {
        return Vec::new();
    };
    items
        .iter()
        .filter_map(|v| {
            let kind = FindingKind::parse(v.get("kind")?.as_str()?)?;
            let severity = Severity::parse(v.get("severity")?.as_str()?)?;
            let ids = v
                .get("span_ids")?
                .as_array()?
                .iter()
                .filter_map(|x| crate::model::decode_id::<8>(x.as_str()?, "span id").ok())
                .map(crate::model::SpanId)
                .collect();
            Some(Finding {
                trace: t,
                kind,
                severity,
                spans: Vec::new(),
                ids,
                message: v.get("message")?.as_str()?.to_owned(),
            })
        })
        .collect()
}

/// The findings of trace `t`, in no particular order.
pub fn trace_findings(set: &TraceSet, t: u32, peers: &Peers) -> Vec<Finding> {
    let Some(tr) = set.traces.get(t as usize) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    let mut push = pusher(set, t, &mut out);
    if tr.error_count > 0 {
        failure_origins(set, t, &mut push);
    }
    let empties = empty_results(set, t, peers, &mut push);
    continued_after_failure(set, t, &empties, &mut push);
    let loops = loops(set, t, &mut push);
    truncated(set, t, &mut push);
    broken(set, t, &mut push);
    peers.runaway(set, t, &mut push);
    peers.slow(set, t, &mut push);
    waste(set, t, &loops, &mut push);
    content_missing(set, t, peers, &mut push);
    drop(push);
    out
}

/// The findings of trace `t` that compare it with its peers (`runaway`, `slow`): what
/// a store judges again when the peers it holds change.
pub fn peer_findings(set: &TraceSet, t: u32, peers: &Peers) -> Vec<Finding> {
    let mut out = Vec::new();
    let mut push = pusher(set, t, &mut out);
    if (t as usize) < set.traces.len() {
        peers.runaway(set, t, &mut push);
        peers.slow(set, t, &mut push);
    }
    drop(push);
    out
}

/// The value above which a member of group `g` (summarised by `s`) may be judged
/// runaway or slow — a necessary condition of the rules, not a sufficient one; `None`
/// when the group is too small to judge or is not decisive on its own (an LLM call's
/// time per token: its duration, [`PeerGroup::LlmNs`], must pass too). A store loads
/// only the traces with a measure above it to judge them again.
pub fn may_flag_above(g: &PeerGroup, s: peers::Summary) -> Option<f64> {
    match *g {
        PeerGroup::Runs(m, ..) if s.n >= RUNAWAY_MIN_PEERS => {
            Some((RUNAWAY_FACTOR * s.at).max(s.at + runaway_floor(m)))
        }
        PeerGroup::Steps(StepKind::Llm, _) => None,
        PeerGroup::Steps(..) if s.n >= SLOW_MIN_PEERS => {
            Some((SLOW_FACTOR * s.at).max(SLOW_MIN_NS as f64))
        }
        PeerGroup::LlmNs(_) if s.n >= SLOW_MIN_PEERS => {
            Some((SLOW_FACTOR * s.at).max(SLOW_MIN_LLM_NS as f64))
        }
        _ => None,
    }
}

/// Whether findings of `kind` compare a trace with its peers.
pub fn compares_peers(kind: FindingKind) -> bool {
    matches!(kind, FindingKind::Runaway | FindingKind::Slow)
}

/// `kept` (findings that do not compare with peers are taken from it) and `fresh`
/// peer findings, in the order [`derive`] gives them.
pub fn with_peer_findings(kept: Vec<Finding>, fresh: Vec<Finding>) -> Vec<Finding> {
    sorted(
        kept.into_iter()
            .filter(|f| !compares_peers(f.kind))
            .chain(fresh)
            .collect(),
    )
}

/// What the rules of trace `t` push their findings with: each becomes a [`Finding`]
/// in `out`, with its spans' ids.
fn pusher<'a>(
    set: &'a TraceSet,
    t: u32,
    out: &'a mut Vec<Finding>,
) -> impl FnMut(FindingKind, Severity, Vec<u32>, String) + 'a {
    move |kind, severity, spans: Vec<u32>, message: String| {
        let ids = spans
            .iter()
            .filter_map(|&i| set.spans.get(i as usize))
            .map(|s| s.span_id)
            .collect();
        out.push(Finding {
            trace: t,
            kind,
            severity,
            spans,
            ids,
            message,
        })
    }
}

type Push<'a> = dyn FnMut(FindingKind, Severity, Vec<u32>, String) + 'a;

/// What to call a step in a message: its tool, its model, or its span name.
pub fn label(set: &TraceSet, i: u32) -> String {
    let step = set.step(i);
    let sym = if !step.tool_name.is_empty() {
        step.tool_name
    } else if step.kind == StepKind::Llm && !step.model.is_empty() {
        step.model
    } else {
        set.spans[i as usize].name
    };
    set.str(sym).to_owned()
}

fn plural(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

fn failure_origins(set: &TraceSet, t: u32, push: &mut Push<'_>) {
    let outline = TraceOutline::build(set, t);
    for o in &outline.origins {
        let step = set.step(o.span);
        let reason = set.str(step.reason);
        let mut msg = format!("{} failed", label(set, o.span));
        if !reason.is_empty() {
            msg.push_str(": ");
            msg.push_str(reason);
        }
        if let Some(&top) = o.propagated_to.last() {
            msg.push_str(&format!(
                "; propagated to {} up to {}",
                plural(o.propagated_to.len(), "ancestor", "ancestors"),
                label(set, top)
            ));
        }
        let mut spans = vec![o.span];
        spans.extend(&o.propagated_to);
        push(FindingKind::FailureOrigin, Severity::Error, spans, msg);
    }
}

/// Tool and retrieval steps that did not fail and returned nothing; returns them.
fn empty_results(set: &TraceSet, t: u32, peers: &Peers, push: &mut Push<'_>) -> Vec<u32> {
    let tr = &set.traces[t as usize];
    let mut found = Vec::new();
    for &i in set.trace_spans(tr) {
        let step = set.step(i);
        // Decided on what the step returned, whatever outcome semconv gave it (an
        // empty result is itself a warning there); a failed step is an origin instead.
        if !matches!(step.kind, StepKind::Tool | StepKind::Retrieval)
            || step.outcome == Outcome::Error
        {
            continue;
        }
        if let Some(what) = empty_result(set, i, peers) {
            found.push(i);
            push(
                FindingKind::EmptyResult,
                Severity::Warning,
                vec![i],
                format!("{} returned nothing ({what})", label(set, i)),
            );
        }
    }
    found
}

/// Longest result text looked at for emptiness: an empty result with its envelope
/// (`{"content": [], "isError": false, "_meta": …}`) is short.
const EMPTY_RESULT_MAX: usize = 1024;

/// How a step's recorded result is empty, if it is.
fn empty_result(set: &TraceSet, i: u32, peers: &Peers) -> Option<String> {
    let span = &set.spans[i as usize];
    let attrs = set.span_attrs(span);
    let raw = peers
        .result_keys
        .iter()
        .find_map(|k| attrs.iter().find(|a| a.key == *k))
        .map(|a| &a.value);
    let result = match raw {
        Some(v) => match v.as_str(&set.strings) {
            Some(s) if s.len() > EMPTY_RESULT_MAX => None,
            Some(s) => {
                Some(serde_json::from_str(s).unwrap_or_else(|_| Value::String(s.to_owned())))
            }
            None => Some(v.to_json(&set.strings)),
        },
        // Results kept elsewhere: a tool's events, LangGraph's arguments.
        None if set.step(i).kind == StepKind::Tool && io_elsewhere(set, span) => {
            crate::semconv::tool_io(set, span)
                .1
                .filter(|v| v.as_str().is_none_or(|s| s.len() <= EMPTY_RESULT_MAX))
        }
        None => None,
    };
    if let Some(v) = result.as_ref().map(unwrap_result)
        && is_empty_value(v)
        && !(is_none(v) && crate::semconv::tool_acts(set.str(set.step(i).tool_name)))
    {
        return Some(match v {
            Value::String(s) if !s.trim().is_empty() => format!("result {:?}", s.trim()),
            Value::String(_) => "an empty result".to_owned(),
            other => format!("result {}", compact(other)),
        });
    }
    for k in keys::names_of(keys::Field::ResultCount) {
        if let Some(v) = set.span_attr(span, k)
            && v.as_i64(&set.strings) == Some(0)
        {
            return Some(format!("{k} = 0"));
        }
    }
    if let Some(v) = set.span_attr(span, "gen_ai.retrieval.documents")
        && let Some(s) = v.as_str(&set.strings)
        && serde_json::from_str::<Value>(s).is_ok_and(|v| is_empty_value(&v))
    {
        return Some("zero documents".to_owned());
    }
    None
}

/// A result that is no value at all (`null`, `None`, "", `{}`: what a function
/// without a return value gives back), rather than an empty list of answers.
fn is_none(v: &Value) -> bool {
    match v {
        Value::Null => true,
        Value::Object(o) => o.is_empty(),
        Value::String(s) => crate::semconv::is_no_value_text(s),
        _ => false,
    }
}

/// What a tool returned, out of the envelope its framework wraps it in: a LangChain
/// ToolMessage (`{"type": "tool", "data": {"content": …}}`), a strands/Bedrock
/// `{"toolResult": {"content": …}}`, Google ADK's `{"result": …}` around a value that
/// is not an object.
fn unwrap_result(v: &Value) -> &Value {
    let mut v = v;
    for _ in 0..4 {
        let Value::Object(m) = v else { break };
        let next = if m.len() == 1 && m.contains_key("result") {
            m.get("result")
        } else if m.get("type").and_then(Value::as_str) == Some("tool") {
            m.get("data")
                .and_then(|d| d.get("content"))
                .or_else(|| m.get("content"))
        } else {
            m.get("toolResult").or_else(|| m.get("tool_result"))
        };
        match next {
            Some(n) => v = n,
            None => break,
        }
    }
    v
}

/// A content part that says nothing: `{"text": ""}`, `{"type": "text", "text": " "}`.
fn is_empty_part(v: &Value) -> bool {
    let Value::Object(m) = v else { return false };
    let Some(Value::String(t)) = m.get("text") else {
        return false;
    };
    t.trim().is_empty()
        && m.keys().all(|k| matches!(k.as_str(), "text" | "type"))
        && m.get("type").is_none_or(|t| t == "text")
}

/// True when a tool span may hold its arguments or result somewhere other than the
/// tool attributes looked up by key (events: strands, Claude Code; Claude Code's
/// `full_command`): only then is the slower [`crate::semconv::tool_io`] asked.
fn io_elsewhere(set: &TraceSet, span: &crate::model::Span) -> bool {
    span.events.len > 0 || set.span_attr(span, "full_command").is_some()
}

/// `null`, `""`, `[]`, `{}`, a placeholder string, content parts with no text, or
/// an object whose lists of
/// content are all empty and whose other keys say nothing (`{"content": [],
/// "isError": false}`).
fn is_empty_value(v: &Value) -> bool {
    match v {
        Value::Null => true,
        Value::String(s) => matches!(s.trim(), "" | "[]" | "{}" | "null" | "None"),
        Value::Array(a) => a.iter().all(is_empty_part),
        Value::Object(m) => {
            if m.is_empty() {
                return true;
            }
            let mut lists = 0;
            for (k, x) in m {
                if RESULT_LISTS.contains(&k.as_str()) {
                    if !is_empty_value(x) {
                        return false;
                    }
                    lists += 1;
                } else if !RESULT_NOISE.contains(&k.as_str()) || matches!(x, Value::Bool(true)) {
                    return false;
                }
            }
            lists > 0
        }
        _ => false,
    }
}

fn compact(v: &Value) -> String {
    let s = v.to_string();
    format::truncate(&s, 40)
}

/// A tool or retrieval step failed or came back empty, later LLM calls carried on, and
/// the run still ended without error.
fn continued_after_failure(set: &TraceSet, t: u32, empties: &[u32], push: &mut Push<'_>) {
    let tr = &set.traces[t as usize];
    if set.step(tr.root).outcome == Outcome::Error {
        return;
    }
    let spans = set.trace_spans(tr);
    let gap = spans.iter().copied().find(|&i| {
        let step = set.step(i);
        matches!(step.kind, StepKind::Tool | StepKind::Retrieval)
            && (step.outcome == Outcome::Error || empties.contains(&i))
    });
    let Some(gap) = gap else { return };
    let after = set.spans[gap as usize].end;
    let later: Vec<u32> = spans
        .iter()
        .copied()
        .filter(|&i| set.step(i).kind == StepKind::Llm && set.spans[i as usize].start >= after)
        .collect();
    if later.is_empty() {
        return;
    }
    let what = if set.step(gap).outcome == Outcome::Error {
        let r = set.str(set.step(gap).reason);
        if r.is_empty() {
            "failed".to_owned()
        } else {
            format!("failed ({r})")
        }
    } else {
        "returned nothing".to_owned()
    };
    let msg = format!(
        "{} {what}, {} carried on and the run ended without error: check the answer for a made-up value",
        label(set, gap),
        plural(later.len(), "later LLM call", "later LLM calls")
    );
    let mut ids = vec![gap];
    ids.extend(later);
    push(
        FindingKind::ContinuedAfterFailure,
        Severity::Warning,
        ids,
        msg,
    );
}

/// One loop: the repeated calls, first first.
pub struct Loop {
    calls: Vec<u32>,
}

/// Calls of one tool with the same arguments that make a retry chain.
pub const RETRY_MIN_CALLS: usize = 2;

/// The same tool called with the same (normalized) arguments at least
/// [`LOOP_MIN_CALLS`] times in one trace, getting the same result each time (where
/// results are recorded: a poll whose answer changes is waiting, not looping). Calls
/// repeated after a failure are a retry chain instead.
fn loops(set: &TraceSet, t: u32, push: &mut Push<'_>) -> Vec<Loop> {
    let tr = &set.traces[t as usize];
    // Only a tool called 3 times can loop, and twice with a failure be retried: count
    // first, parse arguments after.
    let mut counted: FxHashMap<crate::model::Sym, (usize, usize)> = FxHashMap::default();
    for &i in set.trace_spans(tr) {
        let step = set.step(i);
        if step.kind == StepKind::Tool && !step.tool_name.is_empty() {
            let c = counted.entry(step.tool_name).or_default();
            c.0 += 1;
            c.1 += usize::from(step.outcome == Outcome::Error);
        }
    }
    let calls: FxHashMap<crate::model::Sym, usize> = counted
        .into_iter()
        .filter(|(_, (n, failed))| *n >= LOOP_MIN_CALLS || (*n >= RETRY_MIN_CALLS && *failed > 0))
        .map(|(k, (n, _))| (k, n))
        .collect();
    if calls.is_empty() {
        return Vec::new();
    }
    let mut groups: FxHashMap<(crate::model::Sym, String), Vec<u32>> = FxHashMap::default();
    let mut keys_in_order = Vec::new();
    for &i in set.trace_spans(tr) {
        let step = set.step(i);
        if step.kind != StepKind::Tool
            || calls
                .get(&step.tool_name)
                .is_none_or(|&n| n < RETRY_MIN_CALLS)
        {
            continue;
        }
        let (args, _) = crate::semconv::tool_io(set, &set.spans[i as usize]);
        let Some(args) = args else { continue };
        let mut key = String::new();
        canonical(&args, &mut key);
        let k = (step.tool_name, key);
        let e = groups.entry(k.clone()).or_default();
        if e.is_empty() {
            keys_in_order.push(k);
        }
        e.push(i);
    }
    let mut out = Vec::new();
    for k in keys_in_order {
        let Some(mut calls) = groups.remove(&k) else {
            continue;
        };
        if calls.len() < RETRY_MIN_CALLS {
            continue;
        }
        calls.sort_by_key(|&i| set.spans[i as usize].start);
        let failed = |i: u32| set.step(i).outcome == Outcome::Error;
        let (first, last) = (calls[0], calls[calls.len() - 1]);
        let from = set.spans[first as usize].start;
        let to = set.spans[last as usize].end.max(from);
        // Every attempt but the last failed: the tool was retried.
        if calls[..calls.len() - 1].iter().all(|&i| failed(i)) {
            let recovered = !failed(last);
            let msg = format!(
                "{} retried {}× with the same arguments over {} after {}: {}",
                set.str(k.0),
                calls.len() - 1,
                format::duration(to - from),
                plural(calls.len() - 1, "failure", "failures"),
                if recovered {
                    "the last attempt succeeded"
                } else {
                    "every attempt failed"
                }
            );
            let severity = if recovered {
                Severity::Info
            } else {
                Severity::Warning
            };
            push(FindingKind::Retry, severity, calls, msg);
            continue;
        }
        if calls.len() < LOOP_MIN_CALLS || answers_change(set, &calls) {
            continue;
        }
        let tokens = llm_tokens_between(set, t, from, to);
        let mut msg = format!(
            "{} called {}× with the same arguments over {}",
            set.str(k.0),
            calls.len(),
            format::duration(to - from)
        );
        if tokens > 0 {
            msg.push_str(&format!(" and {} tokens", format::tokens(Some(tokens))));
        }
        push(FindingKind::Loop, Severity::Warning, calls.clone(), msg);
        out.push(Loop { calls });
    }
    out
}

/// True when the calls' recorded results are not all the same: a poll (`pending`,
/// `pending`, `done`) or a page through a changing list. Unrecorded results say
/// nothing either way.
fn answers_change(set: &TraceSet, calls: &[u32]) -> bool {
    let mut first: Option<String> = None;
    for &i in calls {
        let (_, result) = crate::semconv::tool_io(set, &set.spans[i as usize]);
        let Some(r) = result else { return false };
        let mut c = String::new();
        canonical(unwrap_result(&r), &mut c);
        match &first {
            None => first = Some(c),
            Some(f) if *f != c => return true,
            Some(_) => {}
        }
    }
    false
}

/// Input and output tokens of the billable LLM calls of trace `t` that start in
/// `[from, to)`.
fn llm_tokens_between(set: &TraceSet, t: u32, from: u64, to: u64) -> u64 {
    set.trace_spans(&set.traces[t as usize])
        .iter()
        .filter(|&&i| {
            let s = &set.spans[i as usize];
            set.step(i).billable_leaf && s.start >= from && s.start < to
        })
        .map(|&i| {
            let tk = set.step(i).tokens;
            tk.input.unwrap_or(0) + tk.output.unwrap_or(0)
        })
        .sum()
}

/// JSON with object keys sorted, so the same arguments in another key order compare
/// equal.
pub(crate) fn canonical(v: &Value, out: &mut String) {
    match v {
        Value::Object(m) => {
            let mut keys: Vec<&String> = m.keys().collect();
            keys.sort();
            out.push('{');
            for (n, k) in keys.into_iter().enumerate() {
                if n > 0 {
                    out.push(',');
                }
                out.push_str(&Value::String(k.clone()).to_string());
                out.push(':');
                if let Some(x) = m.get(k) {
                    canonical(x, out);
                }
            }
            out.push('}');
        }
        Value::Array(a) => {
            out.push('[');
            for (n, x) in a.iter().enumerate() {
                if n > 0 {
                    out.push(',');
                }
                canonical(x, out);
            }
            out.push(']');
        }
        Value::String(s) => out.push_str(&Value::String(s.trim().to_owned()).to_string()),
        other => out.push_str(&other.to_string()),
    }
}

/// LLM answers cut off at the token limit or by a content filter.
fn truncated(set: &TraceSet, t: u32, push: &mut Push<'_>) {
    let tr = &set.traces[t as usize];
    for &i in set.trace_spans(tr) {
        let step = set.step(i);
        if step.finish_reasons.is_empty() {
            continue;
        }
        let reasons = set.str(step.finish_reasons);
        let Some(r) = reasons
            .split(',')
            .map(str::trim)
            .find(|r| CUT_OFF.iter().any(|c| c.eq_ignore_ascii_case(r)))
        else {
            continue;
        };
        let why = if r.to_ascii_lowercase().contains("length")
            || r.to_ascii_lowercase().contains("token")
        {
            "at the token limit"
        } else {
            "by a content filter"
        };
        let mut msg = format!("{} answer cut off {why} (finish reason {r}", label(set, i));
        if let Some(out) = step.tokens.output {
            msg.push_str(&format!(", {} output tokens", format::tokens(Some(out))));
        }
        msg.push(')');
        push(FindingKind::Truncated, Severity::Warning, vec![i], msg);
    }
}

/// Orphans, clock skew, unfinished spans, broken cycles and dropped data.
fn broken(set: &TraceSet, t: u32, push: &mut Push<'_>) {
    use crate::model::Marks;
    let tr = &set.traces[t as usize];
    let ig = &tr.integrity;
    if ig.orphans + ig.clock_skew + ig.unfinished + ig.cycles == 0 && ig.dropped == 0 {
        return;
    }
    let spans = set.trace_spans(tr);
    let mut parts = Vec::new();
    let orphans: Vec<u32> = spans
        .iter()
        .copied()
        .filter(|&i| set.spans[i as usize].marks.has(Marks::ORPHAN))
        .collect();
    if !orphans.is_empty() {
        let mut p = plural(
            orphans.len(),
            "orphan (its parent never arrived",
            "orphans (their parents never arrived",
        );
        match orphans.iter().find_map(|&i| boundary(set, i)) {
            Some(b) => p.push_str(&format!(
                "; an {b} server span: the trace context was not propagated across the {b} boundary{})",
                if b == "MCP" { "; the request's params._meta carries it" } else { "" }
            )),
            None => p.push(')'),
        }
        parts.push(p);
    }
    let mut marked = orphans;
    for (flag, n, one, many) in [
        (
            Marks::CLOCK_SKEW,
            ig.clock_skew,
            "span outside its parent's time (clock skew)",
            "spans outside their parent's time (clock skew)",
        ),
        (
            Marks::UNFINISHED,
            ig.unfinished,
            "unfinished span",
            "unfinished spans",
        ),
        (
            Marks::CYCLE_BROKEN,
            ig.cycles,
            "parent cycle cut",
            "parent cycles cut",
        ),
    ] {
        if n > 0 {
            parts.push(plural(n as usize, one, many));
            marked.extend(
                spans
                    .iter()
                    .copied()
                    .filter(|&i| set.spans[i as usize].marks.has(flag)),
            );
        }
    }
    if ig.dropped > 0 {
        parts.push(format!(
            "{} attributes, events or links dropped by the producer",
            ig.dropped
        ));
        marked.extend(
            spans
                .iter()
                .copied()
                .filter(|&i| set.spans[i as usize].dropped.iter().any(|&d| d > 0)),
        );
    }
    let mut seen = rustc_hash::FxHashSet::default();
    marked.retain(|i| seen.insert(*i));
    // Clock skew alone misplaces bars; the tree itself is whole.
    let severity = if ig.orphans + ig.unfinished + ig.cycles == 0 && ig.dropped == 0 {
        Severity::Info
    } else {
        Severity::Warning
    };
    push(FindingKind::BrokenTrace, severity, marked, parts.join("; "));
}

/// `MCP` or `A2A` when span `i` is the server side of such a call.
fn boundary(set: &TraceSet, i: u32) -> Option<&'static str> {
    let s = &set.spans[i as usize];
    let name = set.str(s.name).to_ascii_lowercase();
    let has = |prefix: &str| {
        set.span_attrs(s)
            .iter()
            .any(|a| set.str(a.key).starts_with(prefix))
    };
    if has("mcp.") || name.starts_with("tools/call") || name.starts_with("mcp") {
        Some("MCP")
    } else if has("a2a.") || name.contains("a2a") {
        Some("A2A")
    } else {
        None
    }
}

/// True for a trace with model or tool calls or an agent: what the GenAI-specific rules
/// (runaway, waste) look at; a plain HTTP trace has no tokens to waste.
fn is_agent_run(tr: &crate::model::Trace) -> bool {
    tr.llm_calls > 0 || tr.tool_calls > 0 || !tr.agent_name.is_empty()
}

/// Tokens, cost and time spent in failed steps and in the repeats of loops.
fn waste(set: &TraceSet, t: u32, loops: &[Loop], push: &mut Push<'_>) {
    let tr = &set.traces[t as usize];
    if !is_agent_run(tr) {
        return;
    }
    let (mut ns, mut tokens, mut cost) = (0u64, 0u64, 0f64);
    let mut spans = Vec::new();
    let mut failed = 0usize;
    for &i in set.trace_spans(tr) {
        let step = set.step(i);
        let leaf = set.children_of(&set.spans[i as usize]).is_empty() || step.billable_leaf;
        let agent_step = !matches!(
            step.kind,
            StepKind::Other | StepKind::Chain | StepKind::Agent
        );
        // A second record of a model call spent nothing of its own.
        if step.outcome != Outcome::Error || !leaf || !agent_step || step.same_call_as.is_some() {
            continue;
        }
        failed += 1;
        spans.push(i);
        ns += set.spans[i as usize].duration_ns();
        if step.billable_leaf {
            tokens += step.tokens.input.unwrap_or(0) + step.tokens.output.unwrap_or(0);
            cost += step.cost().unwrap_or(0.0);
        }
    }
    let mut repeats = 0usize;
    for l in loops {
        for &i in &l.calls[1..] {
            if !spans.contains(&i) {
                repeats += 1;
                spans.push(i);
                ns += set.spans[i as usize].duration_ns();
            }
        }
    }
    if spans.is_empty() || (ns == 0 && tokens == 0) {
        return;
    }
    let mut what = Vec::new();
    if failed > 0 {
        what.push(plural(failed, "failed step", "failed steps"));
    }
    if repeats > 0 {
        what.push(plural(repeats, "repeated call", "repeated calls"));
    }
    let mut msg = format!("{}: {}", what.join(" and "), format::duration(ns));
    if tokens > 0 {
        msg.push_str(&format!(", {} tokens", format::tokens(Some(tokens))));
    }
    if cost > 0.0 {
        msg.push_str(&format!(", ${cost:.4}"));
    }
    push(FindingKind::Waste, Severity::Info, spans, msg);
}

/// LLM and tool steps without their content, and why.
fn content_missing(set: &TraceSet, t: u32, peers: &Peers, push: &mut Push<'_>) {
    let tr = &set.traces[t as usize];
    let (mut llm, mut tools) = (Vec::new(), Vec::new());
    for &i in set.trace_spans(tr) {
        let step = set.step(i);
        let span = &set.spans[i as usize];
        let has = |keys: &rustc_hash::FxHashSet<crate::model::Sym>| {
            set.span_attrs(span)
                .iter()
                .any(|a| keys.contains(&a.key) && !keys::is_placeholder(&a.value, &set.strings))
        };
        match step.kind {
            // Messages may also come in events; only a span with no message key is
            // read in full to be sure.
            // A wrapper around the model call (ADK's call_llm) leaves the content to
            // the call below it; a call recorded twice has it where either record
            // does.
            StepKind::Llm
                if step.billable_leaf && !has(&peers.message_keys) && {
                    let c = crate::semconv::messages::call_conversation(set, span);
                    c.is_empty() || c.unread_reference
                } =>
            {
                llm.push(i)
            }
            StepKind::Tool
                if !has(&peers.tool_keys)
                    && !crate::semconv::is_tool_phase(set, i)
                    && (!io_elsewhere(set, span) || {
                        let (a, r) = crate::semconv::tool_io(set, span);
                        a.is_none() && r.is_none()
                    }) =>
            {
                tools.push(i)
            }
            _ => {}
        }
    }
    if llm.is_empty() && tools.is_empty() {
        return;
    }
    let spans: Vec<u32> = llm.iter().chain(&tools).copied().collect();
    let mut what = Vec::new();
    if !llm.is_empty() {
        what.push(plural(llm.len(), "LLM call", "LLM calls"));
    }
    if !tools.is_empty() {
        what.push(plural(tools.len(), "tool call", "tool calls"));
    }
    let why = why_content_missing(set, &spans);
    push(
        FindingKind::ContentMissing,
        Severity::Info,
        spans,
        format!("{} without content: {why}", what.join(" and ")),
    );
}

/// The likeliest reason, read from the spans, that their content is missing.
fn why_content_missing(set: &TraceSet, spans: &[u32]) -> String {
    for &i in spans {
        let s = &set.spans[i as usize];
        if let Some(a) = set.span_attrs(s).iter().find(|a| {
            let k = set.str(a.key);
            k.starts_with("gen_ai.") && (k.ends_with("_ref") || k.ends_with(".ref"))
        }) {
            return format!(
                "it is stored by reference ({}), not on the span",
                set.str(a.key)
            );
        }
    }
    let dropped: u64 = spans
        .iter()
        .map(|&i| u64::from(set.spans[i as usize].dropped[0]))
        .sum();
    if dropped > 0 {
        return format!("the producer dropped {dropped} of their attributes (attribute limits)");
    }
    // Claude Code never exports the model calls' messages; the turn's prompt is on
    // its interaction span when OTEL_LOG_USER_PROMPTS=1.
    if spans.iter().any(|&i| {
        set.str(set.spans[i as usize].name)
            .starts_with("claude_code.")
    }) {
        let t = set.spans[spans[0] as usize].trace;
        let prompt = set.trace_spans(&set.traces[t as usize]).iter().any(|&i| {
            set.span_attr(&set.spans[i as usize], "user_prompt")
                .is_some()
        });
        return if prompt {
            "Claude Code records the turn's prompt (on claude_code.interaction, shown as the user's input) and tool details, never the model calls' messages".to_owned()
        } else {
            "Claude Code never records the model calls' messages; the turn's prompt needs OTEL_LOG_USER_PROMPTS=1 and tool details OTEL_LOG_TOOL_DETAILS=1".to_owned()
        };
    }
    let counted = spans.iter().any(|&i| !set.step(i).tokens.is_empty());
    let elsewhere = "or it went to log records (GenAI events) that are not in the input (give the logs file too)";
    if counted {
        format!(
            "content capture is off (only token counts are recorded; the OTel GenAI opt-in is OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT=true, or the SDK's own switch), {elsewhere}"
        )
    } else {
        format!("content capture is off, {elsewhere}")
    }
}

/// What a trace and its steps are compared with (the summaries of their peer groups,
/// see `peers`), and which attribute keys of the set carry content, looked up once
/// rather than per span.
#[derive(Default)]
pub struct Peers {
    /// Attribute keys that carry an LLM call's messages.
    message_keys: rustc_hash::FxHashSet<crate::model::Sym>,
    /// Attribute keys that carry a tool call's arguments or result.
    tool_keys: rustc_hash::FxHashSet<crate::model::Sym>,
    /// The tool result keys, best first.
    result_keys: Vec<crate::model::Sym>,
    /// The peer groups' summaries.
    stats: PeerStats,
}

/// Attribute keys that hold an LLM call's messages, in any of the conventions
/// `semconv::messages` reads.
fn is_message_key(k: &str) -> bool {
    const KEYS: &[&str] = &[
        "gen_ai.input.messages",
        "gen_ai.output.messages",
        "gen_ai.system_instructions",
        "gen_ai.prompt",
        "gen_ai.completion",
        "input.value",
        "output.value",
        "ai.prompt",
        "ai.prompt.messages",
        "ai.response.text",
        "ai.response.object",
    ];
    const FLATTENED: &[&str] = &[
        "gen_ai.prompt.",
        "gen_ai.completion.",
        "llm.input_messages.",
        "llm.output_messages.",
    ];
    KEYS.contains(&k) || FLATTENED.iter().any(|p| k.starts_with(p))
}

/// The value at the nearest rank `p` (0..=1) of sorted `v`.
pub use super::peers::nearest_rank;

impl Peers {
    /// The peers of everything in `set`, among `set`.
    pub fn of(set: &TraceSet) -> Peers {
        Peers::with_stats(set, PeerStats::of(set))
    }

    /// The content keys of `set` with peer summaries made elsewhere (a store's).
    pub fn with_stats(set: &TraceSet, stats: PeerStats) -> Peers {
        let mut p = Peers {
            stats,
            ..Peers::default()
        };
        let sym = |k: &str| set.strings.lookup(k);
        p.result_keys = keys::names_of(keys::Field::ToolResult)
            .iter()
            .chain(&["output.value"])
            .filter_map(|k| sym(k))
            .collect();
        p.tool_keys = keys::names_of(keys::Field::ToolArgs)
            .iter()
            .chain(&["input.value"])
            .filter_map(|k| sym(k))
            .chain(p.result_keys.iter().copied())
            .collect();
        let mut seen = rustc_hash::FxHashSet::default();
        for a in &set.attrs {
            if seen.insert(a.key) && is_message_key(set.str(a.key)) {
                p.message_keys.insert(a.key);
            }
        }
        p
    }

    fn runaway(&self, set: &TraceSet, t: u32, push: &mut Push<'_>) {
        let tr = &set.traces[t as usize];
        if !is_agent_run(tr) {
            return;
        }
        let (service, agent) = peers::trace_group(set, t);
        let mut parts = Vec::new();
        let mut runs = 0;
        for (m, v) in peers::run_values(tr) {
            let Some(g) = self.stats.get(&PeerGroup::Runs(m, service, agent)) else {
                continue;
            };
            if m == RunMeasure::Steps {
                runs = g.n;
            }
            let Some(v) = v else { continue };
            if g.n < RUNAWAY_MIN_PEERS {
                continue;
            }
            let median = g.at;
            if v > RUNAWAY_FACTOR * median && v - median >= runaway_floor(m) {
                let fmt = |x: f64| match m {
                    RunMeasure::Steps => format!("{x:.0}"),
                    RunMeasure::Tokens => format::tokens(Some(x as u64)),
                    RunMeasure::Cost => format!("${x:.4}"),
                };
                parts.push(format!(
                    "{} {} vs a median of {}",
                    m.as_str(),
                    fmt(v),
                    fmt(median)
                ));
            }
        }
        if parts.is_empty() {
            return;
        }
        push(
            FindingKind::Runaway,
            Severity::Warning,
            vec![tr.root],
            format!(
                "far above the other runs of {} ({runs} runs): {}",
                set.str(agent),
                parts.join(", ")
            ),
        );
    }

    fn slow(&self, set: &TraceSet, t: u32, push: &mut Push<'_>) {
        let tr = &set.traces[t as usize];
        for &i in set.trace_spans(tr) {
            let Some((k, v)) = peers::step_measure(set, i) else {
                continue;
            };
            let Some(peers) = self.stats.get(&k).filter(|p| p.n >= SLOW_MIN_PEERS) else {
                continue;
            };
            let p95 = peers.at;
            if p95 <= 0.0 || v <= SLOW_FACTOR * p95 {
                continue;
            }
            let llm_model = match k {
                PeerGroup::Steps(StepKind::Llm, model) => Some(model),
                _ => None,
            };
            let floor = if llm_model.is_some() {
                SLOW_MIN_LLM_NS
            } else {
                SLOW_MIN_NS
            };
            if set.spans[i as usize].duration_ns() < floor {
                continue;
            }
            // A short answer is slow per token by its first-token wait alone: an LLM
            // call must also take twice its model's median time.
            if let Some(model) = llm_model {
                let ns = set.spans[i as usize].duration_ns() as f64;
                let median = self
                    .stats
                    .get(&PeerGroup::LlmNs(model))
                    .map_or(0.0, |s| s.at);
                if ns <= SLOW_FACTOR * median {
                    continue;
                }
            }
            let msg = if llm_model.is_some() {
                format!(
                    "{} took {} ({:.1} ms per output token, {:.1}× the p95 of {} calls of this model)",
                    label(set, i),
                    format::duration(set.spans[i as usize].duration_ns()),
                    v / 1e6,
                    v / p95,
                    peers.n
                )
            } else {
                format!(
                    "{} took {}, {:.1}× the p95 of its {} calls ({})",
                    label(set, i),
                    format::duration(v as u64),
                    v / p95,
                    peers.n,
                    format::duration(p95 as u64)
                )
            };
            push(FindingKind::Slow, Severity::Warning, vec![i], msg);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::{canonical, is_empty_value, nearest_rank};
    use serde_json::json;

    #[test]
    fn empty_results_and_not() {
        for v in [
            json!(null),
            json!(""),
            json!([]),
            json!({}),
            json!("[]"),
            json!({"content": [], "isError": false}),
            json!({"documents": []}),
        ] {
            assert!(is_empty_value(&v), "{v}");
        }
        for v in [
            json!(0),
            json!(false),
            json!("no orders"),
            json!([1]),
            json!({"content": [{"type": "text", "text": "x"}]}),
            json!({"content": [], "isError": true}),
            json!({"status": "ok"}),
            json!({"items": [], "next": "abc"}),
        ] {
            assert!(!is_empty_value(&v), "{v}");
        }
    }

    #[test]
    fn arguments_compare_in_any_key_order() {
        let (mut a, mut b) = (String::new(), String::new());
        canonical(&json!({"q": "x", "n": [1, {"b": 2, "a": 1}]}), &mut a);
        canonical(&json!({"n": [1, {"a": 1, "b": 2}], "q": " x "}), &mut b);
        assert_eq!(a, b);
    }

    #[test]
    fn nearest_rank_percentiles() {
        let v: Vec<f64> = (1..=20).map(f64::from).collect();
        assert_eq!(nearest_rank(&v, 0.5), Some(10.0));
        assert_eq!(nearest_rank(&v, 0.95), Some(19.0));
        assert_eq!(nearest_rank(&v, 1.0), Some(20.0));
        assert_eq!(nearest_rank(&v, 0.0), Some(1.0));
        assert_eq!(nearest_rank(&[], 0.5), None);
    }
}
