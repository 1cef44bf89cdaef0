//! GenAI semantics: turns spans into agent steps (kind, model, tokens, cost, tool,
//! outcome, session) from every convention in `../shared/reference/genai-conventions.md`
//! — OTel GenAI (current and deprecated names), OpenInference, OpenLLMetry/Traceloop,
//! Vercel AI SDK, LangSmith, Langfuse and framework span names — and rolls them up per
//! trace and per session. Table-driven: the attribute names live in [`keys`].

mod classify;
pub mod keys;
pub mod messages;
pub mod pricing;

pub use classify::{Signals, classify};
pub use pricing::{PriceError, PriceTable};

use crate::model::{
    AttrValue, CostSource, NONE, Outcome, Span, StatusCode, Step, StepKind, Sym, Tokens, TraceSet,
};
use keys::{FIELD_COUNT, Field, KeyIndex, is_placeholder};

/// Best attribute found per field for one span: (rank, attribute index).
type Found = [Option<(u8, u32)>; FIELD_COUNT];

/// Fields whose empty values carry meaning (an empty tool result is a warning).
fn keeps_empty(f: Field) -> bool {
    matches!(
        f,
        Field::ToolResult | Field::RetrievalDocuments | Field::OutputValue | Field::ResultCount
    )
}

/// Derives the step of every span and the GenAI aggregates of every trace and session.
pub fn annotate(set: &mut TraceSet, prices: &PriceTable) {
    let all: Vec<u32> = (0..set.spans.len() as u32).collect();
    set.steps.clear();
    set.session_ranks.clear();
    derive_steps(set, prices, &all);
    roll_up(set, prices);
}

/// Brings the steps of a set grown in place ([`TraceSet::extend_with`]) up to date:
/// only the spans that arrived or changed are derived again (a step depends on its
/// own span alone), then the per-trace and per-session roll-ups are redone over the
/// whole set (linear and cheap). The result is the one [`annotate`] gives; a set
/// whose steps were not derived before is annotated whole.
pub fn annotate_grown(set: &mut TraceSet, prices: &PriceTable, growth: &crate::model::Growth) {
    if set.steps.len() != growth.first_new || set.session_ranks.len() != growth.first_new {
        return annotate(set, prices);
    }
    let changed = growth.changed_spans(set);
    derive_steps(set, prices, &changed);
    roll_up(set, prices);
}

/// Derives the steps of the spans `which` (indices in ascending order) into
/// `set.steps` and `set.session_ranks`, which grow to one entry per span.
fn derive_steps(set: &mut TraceSet, prices: &PriceTable, which: &[u32]) {
    let n = set.spans.len();
    let keys_in_use = {
        let mut seen = vec![false; set.strings.len()];
        let mut mark = |attrs: &[crate::model::Attr]| {
            for a in attrs {
                if let Some(s) = seen.get_mut(a.key.0 as usize) {
                    *s = true;
                }
            }
        };
        if which.len() == n {
            mark(&set.attrs);
        } else {
            for &i in which {
                mark(set.span_attrs(&set.spans[i as usize]));
            }
        }
        seen
    };
    let index = KeyIndex::new(
        &set.strings,
        keys_in_use
            .iter()
            .enumerate()
            .filter(|(_, used)| **used)
            .map(|(i, _)| Sym(i as u32)),
    );
    // Spans are independent: derive them on all cores, in contiguous chunks.
    let threads = std::thread::available_parallelism()
        .map_or(1, |t| t.get())
        .clamp(1, 8);
    let chunk = which.len().div_ceil(threads).max(4096);
    // Each worker writes its chunk's steps in place (one vector for all, which
    // becomes the set's when every span is derived: no copies of a per-span table).
    let mut steps = vec![Step::default(); which.len()];
    let mut session_rank = vec![u8::MAX; which.len()];
    let shared: &TraceSet = set;
    let derive_part = |part: &[u32], steps: &mut [Step], ranks: &mut [u8]| {
        let mut cache = PriceCache::default();
        let mut pending = Vec::new();
        for ((&i, step), rank) in part.iter().zip(steps).zip(ranks) {
            let (s, r, p) = derive(shared, &index, i as usize, prices, &mut cache);
            if !p.is_empty() {
                pending.push((i as usize, p));
            }
            *step = s;
            *rank = r;
        }
        pending
    };
    let outcomes: Vec<Option<Vec<(usize, Pending)>>> = std::thread::scope(|scope| {
        let handles: Vec<_> = which
            .chunks(chunk)
            .zip(steps.chunks_mut(chunk))
            .zip(session_rank.chunks_mut(chunk))
            .map(|((part, st), rk)| {
                let derive_part = &derive_part;
                scope.spawn(move || derive_part(part, st, rk))
            })
            .collect();
        handles.into_iter().map(|h| h.join().ok()).collect()
    });
    let mut pending: Vec<(usize, Pending)> = Vec::new();
    for (k, outcome) in outcomes.into_iter().enumerate() {
        match outcome {
            Some(p) => pending.extend(p),
            // A worker panicked: its chunk is done again here, so nothing is lost.
            None => {
                let r = k * chunk..((k + 1) * chunk).min(which.len());
                let p = derive_part(
                    &which[r.clone()],
                    &mut steps[r.clone()],
                    &mut session_rank[r],
                );
                pending.extend(p);
            }
        }
    }
    if which.len() == n {
        // Every span, in order: the vectors are the set's tables as they are.
        set.steps = steps;
        set.session_ranks = session_rank;
    } else {
        set.steps.resize(n, Step::default());
        set.session_ranks.resize(n, u8::MAX);
        for ((&i, step), rank) in which.iter().zip(steps).zip(session_rank) {
            set.steps[i as usize] = step;
            set.session_ranks[i as usize] = rank;
        }
    }
    // Strings made up while deriving (reasons, names cut out of span names) are
    // interned afterwards, when the table may be mutated.
    for (i, p) in pending {
        if let Some(r) = p.reason {
            set.steps[i].reason = set.strings.intern(&r);
        }
        if let Some(a) = p.agent_name {
            set.steps[i].agent_name = set.strings.intern(&a);
        }
        if let Some(t) = p.tool_name {
            set.steps[i].tool_name = set.strings.intern(&t);
        }
        if let Some(f) = p.finish_reasons {
            set.steps[i].finish_reasons = set.strings.intern(&f);
        }
    }
}

/// The roll-ups over the derived steps: billable leaves, per-trace and per-session
/// aggregates, and the one stale-price warning (replacing an earlier one, so a set
/// derived again does not repeat it).
fn roll_up(set: &mut TraceSet, prices: &PriceTable) {
    mark_billable_leaves(set);
    let ranks = std::mem::take(&mut set.session_ranks);
    aggregate(set, &ranks);
    set.session_ranks = ranks;
    set.prices_as_of = prices.as_of.clone();
    set.warnings.retain(|w| !w.message.contains(STALE_MARK));
    if let Some(w) = stale_prices(set, prices) {
        set.warnings.push(w);
    }
}

/// Words only the stale-price warning contains.
const STALE_MARK: &str = "pass a current price file with --prices FILE";

/// Days after the price table's date beyond which unpriced models get a warning.
const STALE_AFTER_DAYS: i64 = 183;

/// One warning when the dump is more than six months newer than the price table and
/// some models have no price: the table is likely out of date, not the models exotic.
fn stale_prices(set: &TraceSet, prices: &PriceTable) -> Option<crate::model::Warning> {
    let d = prices.as_of.get(..10)?;
    let (y, m, day) = (
        d.get(..4)?.parse().ok()?,
        d.get(5..7)?.parse().ok()?,
        d.get(8..10)?.parse().ok()?,
    );
    let table_day = crate::format::days_from_civil(y, m, day);
    let newest = set.traces.iter().map(|t| t.start).max()?;
    let dump_day = (newest / 86_400_000_000_000) as i64;
    if dump_day - table_day <= STALE_AFTER_DAYS {
        return None;
    }
    let mut models: Vec<&str> = Vec::new();
    let mut calls = 0usize;
    for s in &set.steps {
        if s.cost_source != CostSource::Unknown {
            continue;
        }
        let m = if s.model.is_empty() {
            s.model_requested
        } else {
            s.model
        };
        if m.is_empty() {
            continue;
        }
        calls += 1;
        let name = set.str(m);
        if !models.contains(&name) {
            models.push(name);
        }
    }
    if models.is_empty() {
        return None;
    }
    let shown: Vec<String> = models
        .iter()
        .take(5)
        .map(|m| crate::sanitize::sanitize(m).into_owned())
        .collect();
    let more = if models.len() > 5 {
        format!(" and {} more", models.len() - 5)
    } else {
        String::new()
    };
    Some(crate::model::Warning {
        source: set.sources.first().cloned().unwrap_or_default(),
        position: crate::model::Position::Whole,
        message: format!(
            "{calls} model calls have no price ({}{more}): the price table is from {}, the traces from {}; pass a current price file with --prices FILE or AGTRACE_PRICES (agtrace's shape or LiteLLM's model_prices_and_context_window.json)",
            shown.join(", "),
            prices.as_of,
            crate::format::timestamp(newest).get(..10).unwrap_or(""),
        ),
    })
}

fn scan(set: &TraceSet, index: &KeyIndex, span: &Span) -> Found {
    let mut found: Found = [None; FIELD_COUNT];
    let start = span.attrs.start;
    for (k, a) in set.span_attrs(span).iter().enumerate() {
        for &(field, rank) in index.roles(a.key) {
            let slot = &mut found[field as usize];
            if slot.is_some_and(|(r, _)| r <= rank) {
                continue;
            }
            if !keeps_empty(field) && is_placeholder(&a.value, &set.strings) {
                continue;
            }
            *slot = Some((rank, start + k as u32));
        }
    }
    found
}

struct View<'a> {
    set: &'a TraceSet,
    found: Found,
}

impl<'a> View<'a> {
    fn value(&self, f: Field) -> Option<&'a AttrValue> {
        self.found[f as usize].map(|(_, i)| &self.set.attrs[i as usize].value)
    }
    fn rank(&self, f: Field) -> Option<u8> {
        self.found[f as usize].map(|(r, _)| r)
    }
    fn str(&self, f: Field) -> Option<&'a str> {
        self.value(f).and_then(|v| v.as_str(&self.set.strings))
    }
    fn sym(&self, f: Field) -> Option<Sym> {
        match self.value(f)? {
            AttrValue::Str(s) => Some(*s),
            _ => None,
        }
    }
    fn count(&self, f: Field) -> Option<u64> {
        let v = self.value(f)?.as_i64(&self.set.strings)?;
        u64::try_from(v).ok()
    }
    fn has(&self, f: Field) -> bool {
        self.found[f as usize].is_some()
    }
}

/// Strings a step needs that may not be interned yet.
#[derive(Default)]
struct Pending {
    reason: Option<String>,
    agent_name: Option<String>,
    tool_name: Option<String>,
    finish_reasons: Option<String>,
}

impl Pending {
    fn is_empty(&self) -> bool {
        self.reason.is_none()
            && self.agent_name.is_none()
            && self.tool_name.is_none()
            && self.finish_reasons.is_none()
    }
}

/// Text after `prefix` in a span name (`invoke_agent support` → `support`).
fn name_suffix<'a>(name: &'a str, prefix: &str) -> Option<&'a str> {
    name.strip_prefix(prefix)
        .map(str::trim)
        .filter(|s| !s.is_empty())
}

/// Prices already looked up, by model name handle (normalising a name allocates).
type PriceCache = rustc_hash::FxHashMap<Sym, Option<pricing::Price>>;

fn derive(
    set: &TraceSet,
    index: &KeyIndex,
    i: usize,
    prices: &PriceTable,
    cache: &mut PriceCache,
) -> (Step, u8, Pending) {
    let span = &set.spans[i];
    let v = View {
        set,
        found: scan(set, index, span),
    };
    let name = set.str(span.name);
    let has_tokens = v.has(Field::InputTokens) || v.has(Field::OutputTokens);
    let has_model = v.has(Field::ModelRequested) || v.has(Field::ModelReturned);
    let (kind, kind_source) = classify(&Signals {
        langsmith: v.str(Field::LangsmithKind),
        openinference: v.str(Field::OpenInferenceKind),
        operation: v.str(Field::OperationName),
        traceloop: v.str(Field::TraceloopKind),
        llm_request_type: v.str(Field::LlmRequestType),
        langfuse: v.str(Field::LangfuseType),
        mcp_method: v.str(Field::McpMethod),
        name,
        has_model,
        has_tokens,
        has_gen_ai_system: v.has(Field::GenAiSystem),
        has_tool_name: v.has(Field::ToolName),
        has_retrieval_data: v.has(Field::RetrievalDocuments)
            || v.has(Field::RetrievalMarker)
            || v.has(Field::DataSource),
        has_embedding_data: v.has(Field::EmbeddingMarker),
    });
    let mut step = Step {
        kind,
        kind_source,
        ..Step::default()
    };
    let sym_of = |f: Field| v.sym(f).unwrap_or(Sym::EMPTY);
    step.model_requested = sym_of(Field::ModelRequested);
    step.model = v.sym(Field::ModelReturned).unwrap_or(step.model_requested);
    step.provider = sym_of(Field::Provider);
    step.session = sym_of(Field::Session);
    step.user = sym_of(Field::User);
    step.tool_call_id = sym_of(Field::ToolCallId);
    let mut pending = Pending::default();
    let traceloop_kind = v.str(Field::TraceloopKind);
    match v.sym(Field::Agent).or_else(|| {
        (traceloop_kind == Some("agent"))
            .then(|| v.sym(Field::TraceloopEntity))
            .flatten()
    }) {
        Some(a) => step.agent_name = a,
        None if kind == StepKind::Agent => {
            pending.agent_name = name_suffix(name, "invoke_agent")
                .or_else(|| name_suffix(name, "Agent run:"))
                .map(|s| s.trim_matches('\'').to_owned());
        }
        None => {}
    }
    match v.sym(Field::ToolName).or_else(|| {
        (traceloop_kind == Some("tool"))
            .then(|| v.sym(Field::TraceloopEntity))
            .flatten()
    }) {
        Some(t) => step.tool_name = t,
        None if kind == StepKind::Tool => {
            pending.tool_name = name_suffix(name, "execute_tool")
                .or_else(|| name_suffix(name, "Function:"))
                // MCP: `tools/call get_weather`.
                .or_else(|| name_suffix(name, "tools/call"))
                .map(str::to_owned);
        }
        None => {}
    }
    let mut finish = finish_reasons(&v);
    if finish.is_empty() && span.events.len > 0 {
        finish = choice_finish_reasons(set, span);
    }
    if !finish.is_empty() {
        pending.finish_reasons = Some(finish.join(","));
    }

    // Tokens (OTel semantics: input includes cache reads/writes; output includes
    // reasoning). Claude Code's bare `input_tokens` excludes the cache.
    // Without a total, the per-modality breakdowns add up to it (each is recorded
    // only when non-zero, so none at all means unknown, not 0).
    let cache_read = v.count(Field::CacheRead).or_else(|| {
        let parts = [
            Field::CacheReadText,
            Field::CacheReadImage,
            Field::CacheReadAudio,
        ]
        .map(|f| v.count(f));
        parts
            .iter()
            .any(Option::is_some)
            .then(|| parts.iter().flatten().sum())
    });
    let cache_write = v.count(Field::CacheWrite);
    let mut input = v.count(Field::InputTokens);
    if v.rank(Field::InputTokens) == Some(6) {
        input = input.map(|n| n + cache_read.unwrap_or(0) + cache_write.unwrap_or(0));
    }
    step.tokens = Tokens {
        input,
        output: v.count(Field::OutputTokens),
        cache_read,
        cache_write,
        reasoning: v.count(Field::Reasoning),
    };
    if step.tokens.is_empty()
        && span.events.len > 0
        && let Some(t) = event_tokens(set, span)
    {
        step.tokens = t;
    }

    let (outcome, reason) = failure(set, span, &v, kind, &finish);
    step.outcome = outcome;
    pending.reason = reason;

    // Cost: provided wins; else priced; else unknown (never $0). A call that failed
    // and reported no usage billed nothing: it is not an unpriced call.
    let billed_nothing = outcome == Outcome::Error && step.tokens.is_empty();
    if (matches!(kind, StepKind::Llm | StepKind::Embedding | StepKind::Rerank) || has_tokens)
        && (!billed_nothing || v.has(Field::Cost))
    {
        let provided = v
            .value(Field::Cost)
            .and_then(|c| c.as_f64(&set.strings))
            .or_else(|| langfuse_total(v.str(Field::LangfuseCostDetails)));
        let model = if step.model.is_empty() {
            step.model_requested
        } else {
            step.model
        };
        let price = *cache
            .entry(model)
            .or_insert_with(|| prices.lookup(set.str(model)).copied());
        if let Some(c) = provided.filter(|c| c.is_finite() && *c >= 0.0) {
            step.cost_usd = c;
            step.cost_source = CostSource::Provided;
        } else if let Some(c) = price.and_then(|p| PriceTable::cost_at(&p, &step.tokens)) {
            step.cost_usd = c;
            step.cost_source = CostSource::Priced;
        } else {
            step.cost_source = CostSource::Unknown;
        }
    }

    let rank = v.rank(Field::Session).unwrap_or(u8::MAX);
    (step, rank, pending)
}

fn langfuse_total(json: Option<&str>) -> Option<f64> {
    let v: serde_json::Value = serde_json::from_str(json?).ok()?;
    v.get("total").and_then(serde_json::Value::as_f64)
}

/// Finish reasons as a list (an array attribute, a comma list, or one string).
fn finish_reasons(v: &View) -> Vec<String> {
    match v.value(Field::FinishReasons) {
        Some(AttrValue::Array(items)) => items
            .iter()
            .filter_map(|x| x.as_str(&v.set.strings).map(str::to_owned))
            .collect(),
        Some(other) => other
            .as_str(&v.set.strings)
            .map(|s| {
                let s = s.trim().trim_start_matches('[').trim_end_matches(']');
                s.split(',')
                    .map(|p| p.trim().trim_matches('"').to_owned())
                    .filter(|p| !p.is_empty())
                    .collect()
            })
            .unwrap_or_default(),
        None => Vec::new(),
    }
}

/// Finish reasons kept in `gen_ai.choice` events (the event form of the GenAI
/// conventions: strands-agents, older OpenLLMetry), one per choice.
fn choice_finish_reasons(set: &TraceSet, span: &Span) -> Vec<String> {
    set.span_events(span)
        .iter()
        .filter(|e| set.str(e.name) == "gen_ai.choice")
        .filter_map(|e| {
            set.attrs[e.attrs.range()]
                .iter()
                .find(|a| set.str(a.key) == "finish_reason")
                .and_then(|a| a.value.as_str(&set.strings))
                .map(|f| f.trim().to_owned())
        })
        .filter(|f| !f.is_empty())
        .collect()
}

/// A result that is no value at all (`null`, `None`, "", `{}`: what a function
/// without a return value gives back), rather than an empty list of answers.
fn is_no_value(v: &AttrValue, set: &TraceSet) -> bool {
    match v {
        AttrValue::Empty => true,
        AttrValue::KvList(a) => a.is_empty(),
        other => other.as_str(&set.strings).is_some_and(is_no_value_text),
    }
}

/// Text that stands for no value (`""`, `{}`, `null`, Python's `None`), quoted in JSON
/// or not: what a function without a return value gives back, as a tool's recorded
/// result. Findings ask the same of results they have parsed.
pub fn is_no_value_text(s: &str) -> bool {
    let s = s.trim();
    let s = s
        .strip_prefix('"')
        .and_then(|x| x.strip_suffix('"'))
        .unwrap_or(s);
    matches!(s.trim(), "" | "{}" | "null" | "None")
}

/// Verbs that name a tool called for what it does, not for what it returns.
const ACTION_VERBS: &[&str] = &[
    "write", "save", "send", "delete", "remove", "update", "set", "create", "post", "put",
    "notify", "log", "store", "insert", "upload", "move", "rename", "append", "mkdir", "touch",
    "publish", "emit", "record", "schedule", "cancel", "close", "open", "click", "type", "press",
    "navigate", "final",
];

/// Whether a tool's name says it acts rather than answers (`write_file`, `sendEmail`,
/// `final_answer`): such a tool that returns no value did what it was asked, and
/// nothing is missing for the model to fill (not an empty result).
pub fn tool_acts(tool: &str) -> bool {
    let tool = tool.trim_start_matches(|c: char| !c.is_alphanumeric());
    let first: String = tool
        .chars()
        .enumerate()
        .take_while(|(n, c)| c.is_alphanumeric() && (*n == 0 || !c.is_uppercase()))
        .map(|(_, c)| c.to_ascii_lowercase())
        .collect();
    ACTION_VERBS.contains(&first.as_str())
}

fn is_empty_result(v: &AttrValue, set: &TraceSet) -> bool {
    match v {
        AttrValue::Empty => true,
        AttrValue::Array(a) => a.is_empty(),
        AttrValue::KvList(a) => a.is_empty(),
        AttrValue::Int(n) => *n == 0,
        other => other
            .as_str(&set.strings)
            .is_some_and(|s| matches!(s.trim(), "" | "[]" | "{}" | "null" | "\"\"")),
    }
}

/// What a span's policy events decided: a blocked threat is a failure, a denied or
/// held tool call a warning (the call it stopped has no span of its own).
#[derive(Default)]
struct Decisions {
    error: Option<String>,
    warning: Option<String>,
}

fn decision_events(set: &TraceSet, span: &Span) -> Decisions {
    let mut d = Decisions::default();
    for e in set.span_events(span) {
        let attrs = &set.attrs[e.attrs.range()];
        let get = |keys: &[&str]| {
            attrs.iter().find_map(|a| {
                let k = set.str(a.key);
                keys.contains(&k)
                    .then(|| a.value.as_str(&set.strings))
                    .flatten()
            })
        };
        match set.str(e.name) {
            "agent.threat.detection" => {
                let action = get(&["agent.threat.action", "threat.action", "action"]).unwrap_or("");
                if action.eq_ignore_ascii_case("block") && d.error.is_none() {
                    let rule =
                        get(&["agent.threat.rule", "threat.rule", "rule"]).unwrap_or("a rule");
                    let sev = get(&["agent.threat.severity", "threat.severity", "severity"])
                        .map(|s| format!(", severity {s}"))
                        .unwrap_or_default();
                    d.error = Some(format!("threat blocked by {rule}{sev}"));
                }
            }
            // Codex CLI and Claude Code log their permission prompts' answers.
            "gen_ai.tool.call.decision" | "codex.tool_decision" | "claude_code.tool_decision" => {
                let decision = get(&["gen_ai.tool.call.decision", "decision", "gen_ai.decision"])
                    .unwrap_or("");
                let tool = get(&["gen_ai.tool.name", "tool.name", "tool_name", "tool"])
                    .unwrap_or("a tool");
                // require_approval is followed by the user's answer; only a denial
                // stopped the call.
                if matches!(
                    decision.to_ascii_lowercase().as_str(),
                    "deny" | "denied" | "reject" | "rejected" | "abort"
                ) && d.warning.is_none()
                {
                    d.warning = Some(format!("tool call {tool} denied"));
                }
            }
            "codex.tool_result" | "claude_code.tool_result"
                if get(&["success"]).is_some_and(|s| s.eq_ignore_ascii_case("false"))
                    && d.warning.is_none() =>
            {
                let tool = get(&["tool_name", "tool", "gen_ai.tool.name"]).unwrap_or("a tool");
                d.warning = Some(format!("tool {tool} failed"));
            }
            _ => {}
        }
    }
    d
}

/// Usage a producer logs as an event of the span instead of span attributes: Codex's
/// `codex.sse_event` for `response.completed` (`input_token_count`,
/// `cached_token_count`, `cache_write_token_count`, `output_token_count`,
/// `reasoning_token_count`), Claude Code's `claude_code.api_request` (`input_tokens`,
/// `output_tokens`, `cache_read_tokens`, `cache_creation_tokens`).
fn event_tokens(set: &TraceSet, span: &Span) -> Option<Tokens> {
    let mut out: Option<Tokens> = None;
    for e in set.span_events(span) {
        let name = set.str(e.name);
        let attrs = &set.attrs[e.attrs.range()];
        let get = |k: &str| {
            attrs
                .iter()
                .find(|a| set.str(a.key) == k)
                .and_then(|a| a.value.as_i64(&set.strings))
                .and_then(|n| u64::try_from(n).ok())
        };
        let t = match name {
            "codex.sse_event" => {
                let kind = attrs
                    .iter()
                    .find(|a| set.str(a.key) == "event.kind")
                    .and_then(|a| a.value.as_str(&set.strings));
                if kind != Some("response.completed") {
                    continue;
                }
                let cached = get("cached_token_count");
                let written = get("cache_write_token_count");
                Tokens {
                    input: get("input_token_count"),
                    output: get("output_token_count"),
                    cache_read: cached,
                    cache_write: written,
                    reasoning: get("reasoning_token_count"),
                }
            }
            "claude_code.api_request" => {
                let (cr, cw) = (get("cache_read_tokens"), get("cache_creation_tokens"));
                // Claude Code's input excludes the cache; OTel's includes it.
                let input = get("input_tokens").map(|n| n + cr.unwrap_or(0) + cw.unwrap_or(0));
                Tokens {
                    input,
                    output: get("output_tokens"),
                    cache_read: cr,
                    cache_write: cw,
                    reasoning: None,
                }
            }
            _ => continue,
        };
        let acc = out.get_or_insert_with(Tokens::default);
        acc.input = add(acc.input, t.input);
        acc.output = add(acc.output, t.output);
        acc.cache_read = add(acc.cache_read, t.cache_read);
        acc.cache_write = add(acc.cache_write, t.cache_write);
        acc.reasoning = add(acc.reasoning, t.reasoning);
    }
    out
}

/// A status message as a reason: what comes before a stack trace that some
/// producers append (OpenInference's LangChain spans: `OpenAIAPIError('…')Traceback
/// (most recent call last): …`), its first line.
fn first_words(msg: &str) -> &str {
    let cut = msg
        .find("Traceback (most recent call last)")
        .unwrap_or(msg.len());
    let head = msg[..cut].trim();
    let head = head.lines().next().unwrap_or("").trim();
    if head.is_empty() { msg.trim() } else { head }
}

/// A finish reason (lower case) that says the answer hit the token limit.
fn is_truncation(f: &str) -> bool {
    matches!(f, "length" | "max_tokens" | "max_output_tokens")
}

/// A finish reason (lower case) that says a filter stopped the answer.
fn is_filtered(f: &str) -> bool {
    matches!(
        f,
        "content_filter"
            | "content-filter"
            | "content_filtered"
            | "guardrail_intervened"
            | "safety"
            | "refusal"
    )
}

/// True when the finish reasons make a step's warning (a cut-off or filtered answer).
fn finish_cut_off(finish: &[String]) -> bool {
    finish.iter().any(|f| {
        let f = f.to_ascii_lowercase();
        is_truncation(&f) || is_filtered(&f)
    })
}

/// Error vs warning vs ok, with a short reason (§5, §6.5).
fn failure(
    set: &TraceSet,
    span: &Span,
    v: &View,
    kind: StepKind,
    finish: &[String],
) -> (Outcome, Option<String>) {
    let first_exception = set.span_events(span).iter().find_map(|e| {
        (set.str(e.name) == "exception").then(|| {
            let attrs = &set.attrs[e.attrs.range()];
            let get = |k: &str| {
                attrs
                    .iter()
                    .find(|a| set.str(a.key) == k)
                    .and_then(|a| a.value.as_str(&set.strings))
                    .unwrap_or("")
            };
            let (t, m) = (get("exception.type"), get("exception.message"));
            match (t.is_empty(), m.is_empty()) {
                (_, false) if !t.is_empty() => format!("{t}: {m}"),
                (_, false) => m.to_owned(),
                (false, true) => t.to_owned(),
                _ => "exception".to_owned(),
            }
        })
    });
    let error_type = v.str(Field::ErrorType);
    let status_msg = set.str(span.status_message);
    let lower: Vec<String> = finish.iter().map(|f| f.to_ascii_lowercase()).collect();
    // Errors.
    if span.status == StatusCode::Error {
        let reason = if !status_msg.is_empty() {
            first_words(status_msg).to_owned()
        } else if let Some(e) = &first_exception {
            e.clone()
        } else if let Some(t) = error_type {
            format!("error.type {t}")
        } else {
            "status ERROR".to_owned()
        };
        return (Outcome::Error, Some(reason));
    }
    if let Some(t) = error_type {
        return (
            Outcome::Error,
            Some(first_exception.unwrap_or_else(|| format!("error.type {t}"))),
        );
    }
    if v.str(Field::ToolStatus)
        .is_some_and(|s| s.eq_ignore_ascii_case("error"))
    {
        return (Outcome::Error, Some("tool status error".into()));
    }
    if let Some(s) = v.str(Field::ResponseStatus)
        && s.eq_ignore_ascii_case("failed")
    {
        return (Outcome::Error, Some("response status failed".into()));
    }
    if kind == StepKind::Tool
        && let Some(code) = v
            .value(Field::ProcessExitCode)
            .and_then(|c| c.as_i64(&set.strings))
        && code != 0
    {
        return (Outcome::Error, Some(format!("exit code {code}")));
    }
    if let Some(code) = v
        .value(Field::JsonRpcError)
        .and_then(|c| c.as_i64(&set.strings))
        && code != 0
    {
        return (Outcome::Error, Some(format!("JSON-RPC error {code}")));
    }
    if let Some(code) = v.str(Field::RpcStatus).map(str::trim)
        && !matches!(code.to_ascii_uppercase().as_str(), "" | "0" | "OK" | "200")
        && v.has(Field::McpMethod)
    {
        return (Outcome::Error, Some(format!("JSON-RPC error {code}")));
    }
    if let Some(s) = v.str(Field::A2aTaskState) {
        let s = s.to_ascii_uppercase();
        let state = s.trim_start_matches("TASK_STATE_");
        if matches!(state, "FAILED" | "REJECTED") {
            return (
                Outcome::Error,
                Some(format!("A2A task {}", state.to_ascii_lowercase())),
            );
        }
    }
    let decided = decision_events(set, span);
    if let Some(e) = decided.error {
        return (Outcome::Error, Some(e));
    }
    if v.str(Field::TaskStatus)
        .is_some_and(|s| s.eq_ignore_ascii_case("failure"))
    {
        return (Outcome::Error, Some("task status failure".into()));
    }
    if v.str(Field::LangfuseLevel)
        .is_some_and(|s| s.eq_ignore_ascii_case("error"))
    {
        let m = v.str(Field::LangfuseStatusMessage).unwrap_or("level ERROR");
        return (Outcome::Error, Some(m.to_owned()));
    }
    if lower.iter().any(|f| f == "error") {
        return (Outcome::Error, Some("finish reason error".into()));
    }
    // Warnings.
    if let Some(f) = lower.iter().find(|f| is_truncation(f)) {
        return (
            Outcome::Warning,
            Some(format!("output truncated (finish reason {f})")),
        );
    }
    if let Some(f) = lower.iter().find(|f| is_filtered(f)) {
        return (
            Outcome::Warning,
            Some(format!("content filtered (finish reason {f})")),
        );
    }
    let guardrail_hit = v.str(Field::GuardrailResult).is_some_and(|s| {
        s.eq_ignore_ascii_case("GUARDRAIL_INTERVENED") || s.eq_ignore_ascii_case("MATCH_FOUND")
    }) || matches!(
        v.value(Field::GuardrailTriggered),
        Some(AttrValue::Bool(true))
    ) || v
        .str(Field::GuardrailTriggered)
        .is_some_and(|s| s.eq_ignore_ascii_case("true"));
    if guardrail_hit {
        return (Outcome::Warning, Some("guardrail triggered".into()));
    }
    if let Some(d) = v.str(Field::GuardrailVerdict)
        && matches!(
            d.to_ascii_lowercase().as_str(),
            "block" | "blocked" | "deny" | "denied" | "fail" | "failed" | "reject"
        )
    {
        return (Outcome::Warning, Some(format!("guardrail verdict {d}")));
    }
    if let Some(s) = v.str(Field::ResponseStatus)
        && matches!(
            s.to_ascii_lowercase().as_str(),
            "incomplete" | "cancelled" | "canceled"
        )
    {
        return (Outcome::Warning, Some(format!("response status {s}")));
    }
    if let Some(s) = v.str(Field::A2aTaskState)
        && s.to_ascii_uppercase().trim_start_matches("TASK_STATE_") == "CANCELED"
    {
        return (Outcome::Warning, Some("A2A task canceled".into()));
    }
    if let Some(w) = decided.warning {
        return (Outcome::Warning, Some(w));
    }
    if v.str(Field::LangfuseLevel)
        .is_some_and(|s| s.eq_ignore_ascii_case("warning"))
    {
        let m = v
            .str(Field::LangfuseStatusMessage)
            .unwrap_or("level WARNING");
        return (Outcome::Warning, Some(m.to_owned()));
    }
    if let Some(docs) = v.value(Field::RetrievalDocuments)
        && is_empty_result(docs, set)
    {
        return (
            Outcome::Warning,
            Some("retrieval returned no documents".into()),
        );
    }
    if let Some(n) = v.value(Field::ResultCount)
        && is_empty_result(n, set)
    {
        return (
            Outcome::Warning,
            Some("retrieval returned no documents".into()),
        );
    }
    if kind == StepKind::Retrieval
        && !v.has(Field::RetrievalMarker)
        && v.value(Field::OutputValue)
            .is_some_and(|o| is_empty_result(o, set))
    {
        return (
            Outcome::Warning,
            Some("retrieval returned no documents".into()),
        );
    }
    if kind == StepKind::Tool {
        let result = v
            .value(Field::ToolResult)
            .or_else(|| v.value(Field::OutputValue));
        let tool = v
            .str(Field::ToolName)
            .or_else(|| name_suffix(set.str(span.name), "execute_tool"))
            .unwrap_or("");
        if result
            .is_some_and(|r| is_empty_result(r, set) && !(is_no_value(r, set) && tool_acts(tool)))
        {
            return (
                Outcome::Warning,
                Some("tool returned an empty result".into()),
            );
        }
    }
    if let Some(e) = first_exception {
        return (Outcome::Warning, Some(format!("exception recorded: {e}")));
    }
    (Outcome::Ok, None)
}

/// A billable leaf is an LLM/embedding/rerank step with no LLM step below it: one
/// per model call. A wrapper around the call (pydantic-ai's agent request, ADK's
/// `call_llm`, Vercel's `ai.generateText`) is not one, and a second record of the
/// same call (an SDK's own span beside an instrumentation's) is merged into the
/// first: [`Step::same_call_as`]. A wrapper's finish reasons (an LLM or agent span
/// repeating its last call's) are the call's, so a wrapper whose call below already
/// says them does not warn again.
fn mark_billable_leaves(set: &mut TraceSet) {
    let mut llm_below = vec![false; set.spans.len()];
    let mut finish_below = vec![false; set.spans.len()];
    for t in 0..set.traces.len() {
        let order = set.traces[t].spans;
        for k in order.range().rev() {
            let i = set.order[k] as usize;
            let step = &mut set.steps[i];
            let billable_kind = matches!(
                step.kind,
                StepKind::Llm | StepKind::Embedding | StepKind::Rerank
            );
            step.billable_leaf = billable_kind && !llm_below[i];
            step.same_call_as = None;
            if llm_below[i] && finish_below[i] {
                // The call below carries the finish reasons: one per call.
                drop_finish(step, &set.strings);
            }
            let parent = set.spans[i].parent;
            if parent != NONE {
                let p = parent as usize;
                llm_below[p] |= step.kind == StepKind::Llm || llm_below[i];
                finish_below[p] |= (step.kind == StepKind::Llm && !step.finish_reasons.is_empty())
                    || finish_below[i];
            }
        }
        merge_same_calls(set, t);
    }
}

/// Takes a step's finish reasons back, and the warning they made (a wrapper or
/// second record of a call, whose call says them): a warning with a cut-off or
/// filtered finish reason came from it, since those come first among warnings.
fn drop_finish(step: &mut Step, strings: &crate::model::Interner) {
    if step.outcome == Outcome::Warning {
        let reasons: Vec<String> = strings
            .get(step.finish_reasons)
            .split(',')
            .map(|f| f.trim().to_owned())
            .collect();
        if finish_cut_off(&reasons) {
            step.outcome = Outcome::Ok;
            step.reason = Sym::EMPTY;
        }
    }
    step.finish_reasons = Sym::EMPTY;
}

/// Most a twin record of one call may start after the first, when no response id
/// says they are the same call (an instrumentation's span opens before the SDK's own
/// span under it, by more on a loaded machine).
const TWIN_WINDOW_NS: u64 = 1_000_000_000;

/// How many earlier calls a call without a response id is compared with (a trace of
/// a thousand parallel calls stays linear).
const TWIN_LOOK_BACK: usize = 16;

/// How far the inner twin may end after the outer one (clocks round).
const TWIN_SLACK_NS: u64 = 1_000_000;

/// Within trace `t`, the billable leaves that record one call more than once: the
/// same response id, or (without ids) twins — the same parent, kind, model and token
/// counts, one inside the other's time and starting within [`TWIN_WINDOW_NS`],
/// written by different instrumentations (another scope or span name: parallel calls
/// of one instrumentation are not twins) — a failed call that an SDK and an
/// instrumentation both record. One record stays the call: the one nearest the wire
/// (it carries the HTTP exchange, as a provider SDK's own span does), else the first;
/// the others stop being billable, point at it, and do not repeat its finish-reason
/// warning.
fn merge_same_calls(set: &mut TraceSet, t: usize) {
    let order = set.traces[t].spans;
    let mut leaves: Vec<u32> = Vec::new();
    for k in order.range() {
        let i = set.order[k];
        if set.steps[i as usize].billable_leaf {
            leaves.push(i);
        }
    }
    if leaves.len() < 2 {
        return;
    }
    leaves.sort_by_key(|&i| (set.spans[i as usize].start, i));
    // Read here, for the few leaves of a trace, not kept on every step.
    let ids: Vec<Sym> = leaves.iter().map(|&i| response_id(set, i)).collect();
    let mut by_id: rustc_hash::FxHashMap<Sym, usize> = rustc_hash::FxHashMap::default();
    let mut groups: Vec<Vec<u32>> = Vec::new();
    // The group of each leaf so far, by its position in `leaves`.
    let mut group_of: Vec<usize> = Vec::with_capacity(leaves.len());
    for (n, &i) in leaves.iter().enumerate() {
        let step = &set.steps[i as usize];
        let id = ids[n];
        let joined = if !id.is_empty() {
            by_id.get(&id).copied()
        } else {
            let span = &set.spans[i as usize];
            let scope = |x: &crate::model::Span| set.scopes.get(x.scope as usize).map(|c| c.name);
            (0..n)
                .rev()
                .take(TWIN_LOOK_BACK)
                .take_while(|&k| span.start - set.spans[leaves[k] as usize].start <= TWIN_WINDOW_NS)
                .find(|&k| {
                    let j = leaves[k] as usize;
                    let (o, os) = (&set.spans[j], &set.steps[j]);
                    ids[k].is_empty()
                        && o.parent == span.parent
                        && span.end <= o.end.saturating_add(TWIN_SLACK_NS)
                        && (scope(o) != scope(span) || o.name != span.name)
                        && os.kind == step.kind
                        && os.model == step.model
                        && os.tokens == step.tokens
                })
                .map(|k| group_of[k])
        };
        let g = match joined {
            Some(g) => {
                groups[g].push(i);
                g
            }
            None => {
                if !id.is_empty() {
                    by_id.insert(id, groups.len());
                }
                groups.push(vec![i]);
                groups.len() - 1
            }
        };
        group_of.push(g);
    }
    for g in groups.iter().filter(|g| g.len() > 1) {
        let keep = g
            .iter()
            .copied()
            .find(|&i| on_the_wire(set, i))
            .unwrap_or(g[0]);
        for &i in g.iter().filter(|&&i| i != keep) {
            let s = &mut set.steps[i as usize];
            s.billable_leaf = false;
            s.same_call_as = Some(keep);
            drop_finish(s, &set.strings);
        }
    }
}

/// The provider's response id of span `i` (`gen_ai.response.id` and its spellings):
/// how two records of one model call are recognised.
pub fn response_id(set: &TraceSet, i: u32) -> Sym {
    let Some(span) = set.spans.get(i as usize) else {
        return Sym::EMPTY;
    };
    keys::names_of(Field::ResponseId)
        .iter()
        .find_map(|k| match set.span_attr(span, k) {
            Some(AttrValue::Str(s)) if !set.str(*s).is_empty() => Some(*s),
            _ => None,
        })
        .unwrap_or(Sym::EMPTY)
}

/// True when span `i` records the HTTP exchange itself (a provider SDK's own span).
fn on_the_wire(set: &TraceSet, i: u32) -> bool {
    set.span_attrs(&set.spans[i as usize]).iter().any(|a| {
        matches!(
            set.str(a.key),
            "http.response.status_code" | "url.full" | "http.status_code"
        )
    })
}

fn add(a: Option<u64>, b: Option<u64>) -> Option<u64> {
    match (a, b) {
        (None, None) => None,
        (x, y) => Some(x.unwrap_or(0) + y.unwrap_or(0)),
    }
}

/// True when tool step `i` is a phase of the tool call its parent records (Claude
/// Code's `claude_code.tool.execution` under `claude_code.tool`: the same call id, or
/// no tool name of its own): one tool call, one tool step.
pub fn is_tool_phase(set: &TraceSet, i: u32) -> bool {
    let (Some(span), Some(step)) = (set.spans.get(i as usize), set.steps.get(i as usize)) else {
        return false;
    };
    let Some(parent) = set.steps.get(span.parent as usize) else {
        return false;
    };
    step.kind == StepKind::Tool
        && parent.kind == StepKind::Tool
        && (step.tool_name.is_empty()
            || (!step.tool_call_id.is_empty() && step.tool_call_id == parent.tool_call_id))
}

/// Per-trace roll-ups (errors, warnings, steps, tokens, cost, session, agent) and the
/// session index.
/// The main agent the resource names (`gen_ai.main_agent.name`, or the
/// `microsoft.gen_ai.main_agent.name` spelling): the agent a run belongs to when no
/// span names one.
fn main_agent(set: &TraceSet, span: u32) -> Option<Sym> {
    let s = set.spans.get(span as usize)?;
    let res = set.resources.get(s.resource as usize)?;
    set.attrs[res.attrs.range()].iter().find_map(|a| {
        matches!(
            set.str(a.key),
            "gen_ai.main_agent.name" | "microsoft.gen_ai.main_agent.name"
        )
        .then(|| match a.value {
            AttrValue::Str(s) => Some(s),
            _ => None,
        })
        .flatten()
    })
}

fn aggregate(set: &mut TraceSet, session_rank: &[u8]) {
    for t in 0..set.traces.len() {
        let spans = set.traces[t].spans;
        let root = set.traces[t].root;
        let (mut errors, mut warnings, mut llm, mut tools) = (0, 0, 0, 0);
        let mut tokens = Tokens::default();
        let (mut cost, mut billable, mut unpriced, mut provided) = (0.0, 0, 0, 0);
        let mut session = (u8::MAX, Sym::EMPTY);
        let mut agent = Sym::EMPTY;
        let mut user = Sym::EMPTY;
        for &i in &set.order[spans.range()] {
            let s = &set.steps[i as usize];
            match s.outcome {
                Outcome::Error => errors += 1,
                Outcome::Warning => warnings += 1,
                Outcome::Ok => {}
            }
            // One model call, one LLM call: wrappers and second records are not.
            llm += u32::from(s.kind == StepKind::Llm && s.billable_leaf);
            tools += u32::from(s.kind == StepKind::Tool && !is_tool_phase(set, i));
            if s.billable_leaf {
                tokens.input = add(tokens.input, s.tokens.input);
                tokens.output = add(tokens.output, s.tokens.output);
                tokens.cache_read = add(tokens.cache_read, s.tokens.cache_read);
                tokens.cache_write = add(tokens.cache_write, s.tokens.cache_write);
                tokens.reasoning = add(tokens.reasoning, s.tokens.reasoning);
                match s.bill() {
                    Some(Some(c)) => {
                        billable += 1;
                        cost += c;
                    }
                    Some(None) => {
                        billable += 1;
                        unpriced += 1;
                    }
                    None => {}
                }
                provided += u32::from(s.cost_source == CostSource::Provided);
            }
            let rank = session_rank[i as usize];
            if !s.session.is_empty() && rank < session.0 {
                session = (rank, s.session);
            }
            if agent.is_empty() && s.kind == StepKind::Agent && !s.agent_name.is_empty() {
                agent = s.agent_name;
            }
            if user.is_empty() {
                user = s.user;
            }
        }
        if root != NONE {
            let r = &set.steps[root as usize];
            if !r.agent_name.is_empty() {
                agent = r.agent_name;
            }
            if agent.is_empty() {
                agent = main_agent(set, root).unwrap_or(agent);
            }
            if !r.user.is_empty() {
                user = r.user;
            }
        }
        let tr = &mut set.traces[t];
        tr.error_count = errors;
        tr.warning_count = warnings;
        tr.llm_calls = llm;
        tr.tool_calls = tools;
        tr.tokens = tokens;
        tr.cost_usd = cost;
        tr.billable_steps = billable;
        tr.unpriced_steps = unpriced;
        tr.provided_steps = Some(provided);
        tr.session = session.1;
        tr.agent_name = agent;
        tr.user = user;
    }
    let mut sessions: rustc_hash::FxHashMap<Sym, Vec<u32>> = rustc_hash::FxHashMap::default();
    for (t, tr) in set.traces.iter().enumerate() {
        if !tr.session.is_empty() {
            sessions.entry(tr.session).or_default().push(t as u32);
        }
    }
    for list in sessions.values_mut() {
        list.sort_by_key(|&t| (set.traces[t as usize].start, set.traces[t as usize].id));
    }
    set.sessions = sessions;
}

/// Tool arguments and result of a step, as JSON values (strings holding JSON parsed).
///
/// Read from the tool attributes of every convention; for an OpenInference TOOL span
/// from its `input.value` / `output.value` (LangGraph records a one-argument tool's
/// bare value there, and the call's arguments on the ToolNode span above it); for a
/// span that keeps them in GenAI events (strands-agents: the arguments in a
/// `gen_ai.tool.message` event, the result in a `gen_ai.choice` event).
pub fn tool_io(
    set: &TraceSet,
    s: &crate::model::Span,
) -> (Option<serde_json::Value>, Option<serde_json::Value>) {
    let get = |span: &crate::model::Span, names: &[&str]| {
        names
            .iter()
            .find_map(|k| set.span_attr(span, k).map(|v| json_of(set, v)))
    };
    let mut args = get(s, keys::names_of(keys::Field::ToolArgs));
    let mut result = get(s, keys::names_of(keys::Field::ToolResult));
    let attr_str = |span: &crate::model::Span, k: &str| {
        set.span_attr(span, k).and_then(|v| v.as_str(&set.strings))
    };
    let oi_tool =
        attr_str(s, "openinference.span.kind").is_some_and(|k| k.eq_ignore_ascii_case("tool"));
    if oi_tool {
        if args.is_none() {
            args = get(s, &["input.value"]).map(|a| match a {
                serde_json::Value::Object(_) => a,
                bare => langgraph_call_args(set, s).unwrap_or(bare),
            });
        }
        result = result.or_else(|| get(s, &["output.value"]));
    }
    // Claude Code: the shell command of a Bash call (OTEL_LOG_TOOL_DETAILS=1).
    if args.is_none()
        && let Some(c) = attr_str(s, "full_command")
    {
        args = Some(serde_json::json!({ "command": c }));
    }
    // Events: Claude Code's `tool.output`; strands' `gen_ai.tool.message` (the
    // arguments) and `gen_ai.choice` (the result) on its execute_tool spans.
    if (args.is_none() || result.is_none()) && s.events.len > 0 {
        let execute_tool = attr_str(s, "gen_ai.operation.name") == Some("execute_tool");
        for e in set.span_events(s) {
            let attrs = &set.attrs[e.attrs.range()];
            let field = |k: &str| {
                attrs
                    .iter()
                    .find(|a| set.str(a.key) == k)
                    .map(|a| json_of(set, &a.value))
            };
            match set.str(e.name) {
                "tool.output" if result.is_none() => result = field("output"),
                "gen_ai.tool.message" if execute_tool && args.is_none() => args = field("content"),
                "gen_ai.choice" if execute_tool && result.is_none() => result = field("message"),
                _ => {}
            }
        }
    }
    (args.map(unwrap_call_args), result)
}

/// Arguments out of the envelope a decorator records them in: traceloop's
/// `{"args": [], "kwargs": {…}}` is the keyword arguments, `{"args": [a, b],
/// "kwargs": {}}` the positional ones.
fn unwrap_call_args(v: serde_json::Value) -> serde_json::Value {
    use serde_json::Value;
    let Value::Object(m) = &v else { return v };
    if m.len() != 2 {
        return v;
    }
    match (m.get("args"), m.get("kwargs")) {
        (Some(Value::Array(a)), Some(Value::Object(k))) if a.is_empty() => Value::Object(k.clone()),
        (Some(Value::Array(a)), Some(Value::Object(k))) if k.is_empty() => Value::Array(a.clone()),
        _ => v,
    }
}

/// An attribute value as JSON: a string holding JSON is parsed.
fn json_of(set: &TraceSet, v: &AttrValue) -> serde_json::Value {
    match v.as_str(&set.strings) {
        Some(t) => {
            serde_json::from_str(t).unwrap_or_else(|_| serde_json::Value::String(t.to_owned()))
        }
        None => v.to_json(&set.strings),
    }
}

/// The arguments of a LangGraph tool call, from the ToolNode span that ran it: its
/// `input.value` holds `{"tool_call": {"name", "args"}}`.
fn langgraph_call_args(set: &TraceSet, s: &crate::model::Span) -> Option<serde_json::Value> {
    let parent = set.spans.get(s.parent as usize)?;
    let raw = set.span_attr(parent, "input.value")?.as_str(&set.strings)?;
    if !raw.contains("\"tool_call\"") {
        return None;
    }
    let v: serde_json::Value = serde_json::from_str(raw).ok()?;
    let call = v.get("tool_call")?;
    let name = set
        .span_attr(s, "tool.name")
        .and_then(|n| n.as_str(&set.strings))
        .unwrap_or_else(|| set.str(s.name));
    (call.get("name")?.as_str()? == name).then(|| call.get("args").cloned())?
}
