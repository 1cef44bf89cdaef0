//! `agtrace stats`: where the time, the errors and the money went, per tool, model,
//! step kind, span name, service (steps), or per session or agent (traces).
//! Percentiles are nearest-rank over the group's finished steps; unknown costs stay
//! unknown and make a sum a lower bound.

use super::findings::nearest_rank;
use crate::model::{FindingKind, Outcome, Severity, StepKind, TraceSet};
use crate::query::filter::Filter;
use rustc_hash::FxHashMap;

/// What rows group by.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum GroupBy {
    /// Tool steps, by tool name.
    Tool,
    /// Model calls (one per call: LLM, embedding and rerank), by the model that
    /// answered; a call that failed before an answer goes under the name its model
    /// answers to elsewhere in the input.
    Model,
    /// Every step, by kind.
    Kind,
    /// Every step, by span name.
    Name,
    /// Every step, by service.
    Service,
    /// Traces, by session id.
    Session,
    /// Traces, by agent name (else root name).
    Agent,
}

impl GroupBy {
    /// The column heading.
    pub fn title(self) -> &'static str {
        match self {
            GroupBy::Tool => "TOOL",
            GroupBy::Model => "MODEL",
            GroupBy::Kind => "KIND",
            GroupBy::Name => "NAME",
            GroupBy::Service => "SERVICE",
            GroupBy::Session => "SESSION",
            GroupBy::Agent => "AGENT",
        }
    }

    /// The JSON name.
    pub fn as_str(self) -> &'static str {
        match self {
            GroupBy::Tool => "tool",
            GroupBy::Model => "model",
            GroupBy::Kind => "kind",
            GroupBy::Name => "name",
            GroupBy::Service => "service",
            GroupBy::Session => "session",
            GroupBy::Agent => "agent",
        }
    }

    /// True when a row counts traces rather than steps.
    pub fn of_traces(self) -> bool {
        matches!(self, GroupBy::Session | GroupBy::Agent)
    }
}

/// One row: a group and its numbers.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct GroupStats {
    /// The group's key (sanitize to print).
    pub key: String,
    /// Steps (or traces) in it.
    pub calls: u64,
    /// Those that failed.
    pub errors: u64,
    /// Those with a warning.
    pub warnings: u64,
    /// Latency percentiles (ns, nearest rank) and the maximum, over finished ones.
    pub p50: Option<u64>,
    /// 95th percentile.
    pub p95: Option<u64>,
    /// 99th percentile.
    pub p99: Option<u64>,
    /// Maximum.
    pub max: Option<u64>,
    /// Input tokens, summed over those that said.
    pub input_tokens: u64,
    /// Output tokens, summed over those that said.
    pub output_tokens: u64,
    /// How many said their tokens.
    pub with_tokens: u64,
    /// Known cost, summed.
    pub cost: f64,
    /// Billable ones (model calls).
    pub billable: u64,
    /// Billable ones whose price is unknown: the sum is then a lower bound.
    pub unpriced: u64,
    /// LLM groups: median latency per output token (ns).
    pub per_output_token: Option<f64>,
    /// The trace to look at: the slowest failed one, else the slowest.
    pub worst_trace: Option<String>,
    /// Latencies in ns, sorted (for histograms).
    pub latencies: Vec<u64>,
    /// Other names of the group's key (a model's requested name beside the dated one
    /// that answered).
    pub aliases: Vec<String>,
}

impl GroupStats {
    /// Input tokens, unknown (`None`) when none of them said: every view (table,
    /// JSON, MCP) shows the same (`-` and `null`, never a made-up 0).
    pub fn known_input_tokens(&self) -> Option<u64> {
        (self.with_tokens > 0).then_some(self.input_tokens)
    }

    /// Output tokens, unknown when none of them said.
    pub fn known_output_tokens(&self) -> Option<u64> {
        (self.with_tokens > 0).then_some(self.output_tokens)
    }

    /// The error rate, 0..=1.
    pub fn error_rate(&self) -> f64 {
        if self.calls == 0 {
            0.0
        } else {
            self.errors as f64 / self.calls as f64
        }
    }

    /// The known cost, `None` when nothing billable was priced.
    pub fn cost(&self) -> Option<f64> {
        (self.billable > self.unpriced).then_some(self.cost)
    }

    /// True when some billable call had no price (the sum is a lower bound).
    pub fn cost_is_partial(&self) -> bool {
        self.unpriced > 0 && self.billable > self.unpriced
    }
}

/// Everything measured for one member of a group.
struct Sample {
    trace: u32,
    outcome: Outcome,
    ns: Option<u64>,
    input: Option<u64>,
    output: Option<u64>,
    cost: Option<f64>,
    billable: bool,
    /// Some billable call in it has no price.
    unpriced: bool,
}

/// Where the costs of the traces a filter selects came from, summed over their
/// billable calls: (provided, priced, unknown); `None` when some trace does not know.
pub fn cost_sources(set: &TraceSet, filter: &Filter) -> Option<(u32, u32, u32)> {
    let m = filter.matcher(set);
    let mut sum = (0u32, 0u32, 0u32);
    for t in 0..set.traces.len() as u32 {
        if !filter.is_empty() && !m.trace_matches(t) {
            continue;
        }
        let (p, e, u) = set.traces[t as usize].cost_sources()?;
        sum = (sum.0 + p, sum.1 + e, sum.2 + u);
    }
    Some(sum)
}

/// The key of a trace or step with none (no session, no service, no model name):
/// kept as a row so every grouping adds up to the same totals as `ls`.
pub const NO_KEY: &str = "(none)";

/// Rows grouped `by`, over the steps (or traces) `filter` matches, sorted by what
/// hurts most (errors, then p95), and the totals over all of them.
///
/// One truth per number: tokens and cost are those of model calls
/// (`Step::billable_leaf`) whatever the grouping, so a grouping over every step
/// (kind, name, service, model) or every trace (session, agent) totals what `ls`
/// totals; an agent span's rolled-up usage is not counted again.
pub fn group_stats(set: &TraceSet, by: GroupBy, filter: &Filter) -> (Vec<GroupStats>, GroupStats) {
    let m = filter.matcher(set);
    let mut groups: FxHashMap<String, Vec<Sample>> = FxHashMap::default();
    let mut aliases: FxHashMap<String, Vec<String>> = FxHashMap::default();
    if by.of_traces() {
        for (t, tr) in set.traces.iter().enumerate() {
            if !filter.is_empty() && !m.trace_matches(t as u32) {
                continue;
            }
            let key = match by {
                GroupBy::Session => set.str(tr.session),
                _ if !tr.agent_name.is_empty() => set.str(tr.agent_name),
                _ => set.str(tr.root_name),
            };
            let key = if key.is_empty() { NO_KEY } else { key };
            groups.entry(key.to_owned()).or_default().push(Sample {
                trace: t as u32,
                outcome: tr.outcome(),
                ns: Some(tr.duration_ns()),
                input: tr.tokens.input,
                output: tr.tokens.output,
                cost: tr.cost(),
                billable: tr.billable_steps > 0,
                unpriced: tr.cost().is_none(),
            });
        }
    } else {
        let answered_as = if by == GroupBy::Model {
            answered_names(set)
        } else {
            FxHashMap::default()
        };
        for i in 0..set.spans.len() as u32 {
            let step = set.step(i);
            let key = match by {
                GroupBy::Tool if step.kind == StepKind::Tool => set.str(step.tool_name),
                GroupBy::Model if step.billable_leaf => {
                    let (name, asked) = model_key(set, &step, &answered_as);
                    if !asked.is_empty() && asked != name {
                        let a = aliases.entry(name.to_owned()).or_default();
                        if !a.iter().any(|x| x == asked) {
                            a.push(asked.to_owned());
                        }
                    }
                    name
                }
                GroupBy::Kind => step.kind.as_str(),
                GroupBy::Name => set.str(set.spans[i as usize].name),
                GroupBy::Service => set.str(
                    set.resources
                        .get(set.spans[i as usize].resource as usize)
                        .map(|r| r.service)
                        .unwrap_or_default(),
                ),
                _ => continue,
            };
            let key = if key.is_empty() {
                if by == GroupBy::Tool {
                    continue;
                }
                NO_KEY
            } else {
                key
            };
            groups_push(&mut groups, key, set, i, &m, filter);
        }
    }
    let mut rows: Vec<GroupStats> = groups
        .into_iter()
        .map(|(k, v)| {
            let mut g = summarize(set, k, &v, by == GroupBy::Model);
            if let Some(mut a) = aliases.remove(&g.key) {
                a.sort();
                g.aliases = a;
            }
            g
        })
        .collect();
    rows.sort_by(|a, b| {
        b.errors
            .cmp(&a.errors)
            .then(b.p95.cmp(&a.p95))
            .then(a.key.cmp(&b.key))
    });
    let all: Vec<&GroupStats> = rows.iter().collect();
    let total = totals(&all);
    (rows, total)
}

/// Requested model name → the name that answered for it (the most frequent one when
/// a request was answered under several), from the calls that were answered.
fn answered_names(set: &TraceSet) -> FxHashMap<crate::model::Sym, crate::model::Sym> {
    let mut seen: FxHashMap<(crate::model::Sym, crate::model::Sym), u32> = FxHashMap::default();
    for s in &set.steps {
        if s.billable_leaf && !s.model_requested.is_empty() && s.model != s.model_requested {
            *seen.entry((s.model_requested, s.model)).or_default() += 1;
        }
    }
    let mut best: FxHashMap<crate::model::Sym, (u32, crate::model::Sym)> = FxHashMap::default();
    for ((asked, answered), n) in seen {
        let e = best.entry(asked).or_insert((0, answered));
        if n > e.0 || (n == e.0 && set.str(answered) < set.str(e.1)) {
            *e = (n, answered);
        }
    }
    best.into_iter().map(|(k, (_, v))| (k, v)).collect()
}

/// The model a call is grouped under, and the name it was asked for: the model that
/// answered; when none did (the call failed), the name that answered for the same
/// request elsewhere.
fn model_key<'a>(
    set: &'a TraceSet,
    step: &crate::model::Step,
    answered_as: &FxHashMap<crate::model::Sym, crate::model::Sym>,
) -> (&'a str, &'a str) {
    let asked = set.str(step.model_requested);
    let unanswered = step.model == step.model_requested || step.model.is_empty();
    let name = match answered_as.get(&step.model_requested) {
        Some(&a) if unanswered => a,
        _ if step.model.is_empty() => step.model_requested,
        _ => step.model,
    };
    (set.str(name), asked)
}

fn groups_push(
    groups: &mut FxHashMap<String, Vec<Sample>>,
    key: &str,
    set: &TraceSet,
    i: u32,
    m: &crate::query::filter::Matcher<'_>,
    filter: &Filter,
) {
    if !filter.is_empty() && !m.span_matches(i) {
        return;
    }
    let s = &set.spans[i as usize];
    let step = set.step(i);
    let v = groups.entry(key.to_owned()).or_default();
    // Usage and cost are a model call's: an agent span's roll-up or a wrapper's
    // repeat of its call's usage is not counted again.
    let call = step.billable_leaf;
    let bill = step.bill();
    v.push(Sample {
        trace: s.trace,
        outcome: step.outcome,
        ns: s.is_finished().then(|| s.duration_ns()),
        input: step.tokens.input.filter(|_| call),
        output: step.tokens.output.filter(|_| call),
        cost: bill.flatten(),
        billable: bill.is_some(),
        unpriced: bill == Some(None),
    });
}

fn summarize(set: &TraceSet, key: String, v: &[Sample], per_token: bool) -> GroupStats {
    let mut lat: Vec<u64> = v.iter().filter_map(|s| s.ns).collect();
    lat.sort_unstable();
    let f: Vec<f64> = lat.iter().map(|&x| x as f64).collect();
    let rank = |p: f64| nearest_rank(&f, p).map(|x| x as u64);
    let worst = v
        .iter()
        .filter(|s| s.outcome == Outcome::Error)
        .max_by_key(|s| s.ns)
        .or_else(|| v.iter().max_by_key(|s| s.ns))
        .map(|s| set.traces[s.trace as usize].id.to_string());
    let mut per: Vec<f64> = if per_token {
        v.iter()
            .filter_map(|s| Some(s.ns? as f64 / s.output.filter(|&o| o > 0)? as f64))
            .collect()
    } else {
        Vec::new()
    };
    per.sort_by(f64::total_cmp);
    GroupStats {
        key,
        calls: v.len() as u64,
        errors: v.iter().filter(|s| s.outcome == Outcome::Error).count() as u64,
        warnings: v.iter().filter(|s| s.outcome == Outcome::Warning).count() as u64,
        p50: rank(0.50),
        p95: rank(0.95),
        p99: rank(0.99),
        max: lat.last().copied(),
        input_tokens: v.iter().filter_map(|s| s.input).sum(),
        output_tokens: v.iter().filter_map(|s| s.output).sum(),
        with_tokens: v
            .iter()
            .filter(|s| s.input.is_some() || s.output.is_some())
            .count() as u64,
        cost: v.iter().filter_map(|s| s.cost).sum(),
        billable: v.iter().filter(|s| s.billable).count() as u64,
        unpriced: v.iter().filter(|s| s.billable && s.unpriced).count() as u64,
        per_output_token: nearest_rank(&per, 0.5),
        worst_trace: worst,
        latencies: lat,
        aliases: Vec::new(),
    }
}

/// The totals row over some rows (latency percentiles over all their members).
fn totals(rows: &[&GroupStats]) -> GroupStats {
    let mut lat: Vec<u64> = rows
        .iter()
        .flat_map(|r| r.latencies.iter().copied())
        .collect();
    lat.sort_unstable();
    let f: Vec<f64> = lat.iter().map(|&x| x as f64).collect();
    let rank = |p: f64| nearest_rank(&f, p).map(|x| x as u64);
    GroupStats {
        key: "total".into(),
        calls: rows.iter().map(|r| r.calls).sum(),
        errors: rows.iter().map(|r| r.errors).sum(),
        warnings: rows.iter().map(|r| r.warnings).sum(),
        p50: rank(0.50),
        p95: rank(0.95),
        p99: rank(0.99),
        max: lat.last().copied(),
        input_tokens: rows.iter().map(|r| r.input_tokens).sum(),
        output_tokens: rows.iter().map(|r| r.output_tokens).sum(),
        with_tokens: rows.iter().map(|r| r.with_tokens).sum(),
        cost: rows.iter().map(|r| r.cost).sum(),
        billable: rows.iter().map(|r| r.billable).sum(),
        unpriced: rows.iter().map(|r| r.unpriced).sum(),
        per_output_token: None,
        worst_trace: None,
        latencies: Vec::new(),
        aliases: Vec::new(),
    }
}

/// One row of `stats --findings`: a kind of finding over everything loaded.
#[derive(Clone, Debug, PartialEq)]
pub struct FindingStats {
    /// The kind.
    pub kind: FindingKind,
    /// Its most severe occurrence.
    pub severity: Severity,
    /// How many findings of it.
    pub count: u64,
    /// In how many traces.
    pub traces: u64,
    /// The first trace with it, to look at.
    pub example: Option<String>,
    /// Its message there.
    pub example_message: String,
}

/// Findings per kind over the traces `filter` matches (every trace when empty), in
/// [`FindingKind::ALL`] order, kinds with none left out.
pub fn finding_stats(set: &TraceSet, filter: &Filter) -> Vec<FindingStats> {
    let m = filter.matcher(set);
    let mut out: Vec<FindingStats> = Vec::new();
    for kind in FindingKind::ALL {
        let mut row = FindingStats {
            kind,
            severity: Severity::Info,
            count: 0,
            traces: 0,
            example: None,
            example_message: String::new(),
        };
        let mut last_trace = u32::MAX;
        for f in set.findings.iter().filter(|f| f.kind == kind) {
            if !filter.is_empty() && !m.trace_matches(f.trace) {
                continue;
            }
            row.count += 1;
            row.severity = row.severity.min(f.severity);
            if f.trace != last_trace {
                row.traces += 1;
                last_trace = f.trace;
            }
            if row.example.is_none() {
                row.example = Some(set.traces[f.trace as usize].id.to_string());
                row.example_message = f.message.clone();
            }
        }
        if row.count > 0 {
            out.push(row);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::nearest_rank;

    /// Nearest rank against the definition: the smallest value with at least p of
    /// the values at or below it, on generated data.
    #[test]
    fn nearest_rank_matches_its_definition() {
        let mut x: u64 = 0x9e3779b97f4a7c15;
        for n in [1usize, 2, 3, 7, 20, 99, 100, 101, 1000] {
            let mut v: Vec<f64> = (0..n)
                .map(|_| {
                    x ^= x << 13;
                    x ^= x >> 7;
                    x ^= x << 17;
                    (x % 10_000) as f64
                })
                .collect();
            v.sort_by(f64::total_cmp);
            for pct in [50usize, 90, 95, 99, 100] {
                // In integers: at least pct% of the values are at or below it.
                let want = v
                    .iter()
                    .copied()
                    .find(|&c| v.iter().filter(|&&y| y <= c).count() * 100 >= pct * n)
                    .expect("some value");
                let p = pct as f64 / 100.0;
                assert_eq!(nearest_rank(&v, p), Some(want), "n={n} p={p}");
            }
        }
    }
}
