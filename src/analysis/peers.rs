//! What `runaway` and `slow` compare with: each trace's and each step's measures, the
//! group of peers each belongs to, and a summary per group (how many, and the median
//! or p95 the rule reads). A loaded set summarises its own measures; a store keeps
//! every trace's measures with their group names (`PeerGroup::name`) and summarises
//! them in SQL, so both judge from one definition of what is measured.

use crate::model::{StepKind, Sym, TraceSet};
use rustc_hash::FxHashMap;

/// What of an agent run is compared with the other runs of the same agent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RunMeasure {
    /// Spans in the trace.
    Steps,
    /// Input plus output tokens (when both are known).
    Tokens,
    /// Cost in USD (when known).
    Cost,
}

impl RunMeasure {
    /// Its name in a runaway's message and a store's group names.
    pub fn as_str(self) -> &'static str {
        match self {
            RunMeasure::Steps => "steps",
            RunMeasure::Tokens => "tokens",
            RunMeasure::Cost => "cost",
        }
    }
}

/// A group of peers: the runs of one agent (by one measure), the steps of one tool,
/// model or span name, or the call durations of one model.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PeerGroup {
    /// Runs of (service, agent or functionId or root name).
    Runs(RunMeasure, Sym, Sym),
    /// Steps of (kind, tool / span name / model): ns, or ns per output token for LLM
    /// calls.
    Steps(StepKind, Sym),
    /// Durations (ns) of a model's calls that said their output tokens.
    LlmNs(Sym),
}

/// The rank a group's rule reads: the median of runs and call durations, the p95 of
/// steps.
impl PeerGroup {
    /// The quantile (0..=1) of this group that its rule compares with.
    pub fn quantile(&self) -> f64 {
        match self {
            PeerGroup::Steps(..) => 0.95,
            PeerGroup::Runs(..) | PeerGroup::LlmNs(_) => 0.5,
        }
    }

    /// A stable name for the group (what a store keys its measures by): the same
    /// group has the same name in every set.
    pub fn name(&self, set: &TraceSet) -> String {
        const SEP: char = '\u{1f}';
        match *self {
            PeerGroup::Runs(m, service, agent) => format!(
                "runs/{}{SEP}{}{SEP}{}",
                m.as_str(),
                set.str(service),
                set.str(agent)
            ),
            PeerGroup::Steps(kind, name) => {
                format!("steps/{}{SEP}{}", kind.as_str(), set.str(name))
            }
            PeerGroup::LlmNs(model) => format!("llm-ns{SEP}{}", set.str(model)),
        }
    }
}

/// One measure of a trace or of one of its steps.
#[derive(Debug, Clone, Copy)]
pub struct Measure {
    /// Its group of peers.
    pub group: PeerGroup,
    /// The value compared.
    pub value: f64,
    /// The step measured (`None` for a run's measures).
    pub span: Option<u32>,
}

/// The runs a trace is compared with: the same service and the same agent — its
/// agent name, else the Vercel AI SDK's `ai.telemetry.functionId` on its root, else
/// its root name. Runs of unrelated functions that share a root span name
/// (`ai.generateText`) are not peers.
pub fn trace_group(set: &TraceSet, t: u32) -> (Sym, Sym) {
    let tr = &set.traces[t as usize];
    let agent = if !tr.agent_name.is_empty() {
        tr.agent_name
    } else {
        set.spans
            .get(tr.root as usize)
            .and_then(|root| {
                set.span_attrs(root).iter().find_map(|a| match a.value {
                    crate::model::AttrValue::Str(s)
                        if set.str(a.key) == "ai.telemetry.functionId" =>
                    {
                        Some(s)
                    }
                    _ => None,
                })
            })
            .unwrap_or(tr.root_name)
    };
    (tr.service, agent)
}

/// The peer group of a step and its measure, for the steps `slow` looks at.
pub fn step_measure(set: &TraceSet, i: u32) -> Option<(PeerGroup, f64)> {
    let step = set.step(i);
    let span = &set.spans[i as usize];
    if !span.is_finished() {
        return None;
    }
    let ns = span.duration_ns() as f64;
    match step.kind {
        StepKind::Llm => {
            let out = step.tokens.output.filter(|&o| o > 0)?;
            (!step.model.is_empty())
                .then_some((PeerGroup::Steps(StepKind::Llm, step.model), ns / out as f64))
        }
        StepKind::Tool if !step.tool_name.is_empty() => {
            Some((PeerGroup::Steps(StepKind::Tool, step.tool_name), ns))
        }
        StepKind::Retrieval | StepKind::Embedding | StepKind::Rerank => {
            Some((PeerGroup::Steps(step.kind, span.name), ns))
        }
        _ => None,
    }
}

/// A run's own measures, in the order `runaway` reports them: its spans, its tokens (input
/// plus output, when both are known), its cost (when known).
pub fn run_values(tr: &crate::model::Trace) -> [(RunMeasure, Option<f64>); 3] {
    let tokens = tr
        .tokens
        .input
        .zip(tr.tokens.output)
        .map(|(i, o)| (i + o) as f64);
    [
        (RunMeasure::Steps, Some(tr.span_count as f64)),
        (RunMeasure::Tokens, tokens),
        (RunMeasure::Cost, tr.cost()),
    ]
}

/// Every measure of trace `t`: its run's (steps, tokens, cost as known), then its
/// steps' in trace order (an LLM call gives its time per token and its duration).
/// Values that are not finite are no measure.
pub fn measures(set: &TraceSet, t: u32, out: &mut impl FnMut(Measure)) {
    let mut out = |m: Measure| {
        if m.value.is_finite() {
            out(m)
        }
    };
    let tr = &set.traces[t as usize];
    let (service, agent) = trace_group(set, t);
    for (m, v) in run_values(tr) {
        if let Some(value) = v {
            out(Measure {
                group: PeerGroup::Runs(m, service, agent),
                value,
                span: None,
            });
        }
    }
    for &i in set.trace_spans(tr) {
        if let Some((group, value)) = step_measure(set, i) {
            out(Measure {
                group,
                value,
                span: Some(i),
            });
            if let PeerGroup::Steps(StepKind::Llm, model) = group {
                out(Measure {
                    group: PeerGroup::LlmNs(model),
                    value: set.spans[i as usize].duration_ns() as f64,
                    span: Some(i),
                });
            }
        }
    }
}

/// What a group's rule reads of it: how many peers, and the value at its quantile.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Summary {
    /// Peers in the group.
    pub n: usize,
    /// The value at the group's [`PeerGroup::quantile`].
    pub at: f64,
}

/// The value at the nearest rank `p` (0..=1) of sorted `v`.
pub fn nearest_rank(v: &[f64], p: f64) -> Option<f64> {
    v.get(rank(v.len(), p)?).copied()
}

/// The index (0-based) of the nearest rank `p` (0..=1) among `n` sorted values: how a
/// store finds the same value with `OFFSET`.
pub fn rank(n: usize, p: f64) -> Option<usize> {
    if n == 0 {
        return None;
    }
    // The epsilon keeps 0.95 × 100 (95.000…01 in floating point) at rank 95.
    let r = (p * n as f64 - 1e-9).ceil().max(1.0) as usize;
    Some(r.min(n) - 1)
}

/// The summaries of every peer group of a set.
#[derive(Default)]
pub struct PeerStats {
    groups: FxHashMap<PeerGroup, Summary>,
}

impl PeerStats {
    /// The groups of everything in `set`, summarised among `set`.
    pub fn of(set: &TraceSet) -> PeerStats {
        let mut values: FxHashMap<PeerGroup, Vec<f64>> = FxHashMap::default();
        for t in 0..set.traces.len() as u32 {
            measures(set, t, &mut |m| {
                values.entry(m.group).or_default().push(m.value)
            });
        }
        let groups = values
            .into_iter()
            .filter_map(|(g, mut v)| {
                v.sort_by(f64::total_cmp);
                let at = nearest_rank(&v, g.quantile())?;
                Some((g, Summary { n: v.len(), at }))
            })
            .collect();
        PeerStats { groups }
    }

    /// The groups of everything in `set`, summarised by `lookup` (given each group's
    /// name and quantile) — how a store judges the traces it loaded among all it
    /// holds. Groups `lookup` knows nothing of are left out.
    pub fn looked_up(
        set: &TraceSet,
        mut lookup: impl FnMut(&str, f64) -> Option<Summary>,
    ) -> PeerStats {
        let mut groups = FxHashMap::default();
        for t in 0..set.traces.len() as u32 {
            measures(set, t, &mut |m| {
                if !groups.contains_key(&m.group)
                    && let Some(s) = lookup(&m.group.name(set), m.group.quantile())
                {
                    groups.insert(m.group, s);
                }
            });
        }
        PeerStats { groups }
    }

    /// The summary of a group, if any peer is in it.
    pub fn get(&self, g: &PeerGroup) -> Option<Summary> {
        self.groups.get(g).copied()
    }
}

#[cfg(test)]
mod tests {
    use super::{nearest_rank, rank};

    #[test]
    fn nearest_rank_is_exact() {
        let v: Vec<f64> = (1..=100).map(f64::from).collect();
        assert_eq!(nearest_rank(&v, 0.95), Some(95.0));
        assert_eq!(nearest_rank(&v, 0.5), Some(50.0));
        assert_eq!(nearest_rank(&[7.0], 0.95), Some(7.0));
        assert_eq!(nearest_rank(&[], 0.5), None);
        assert_eq!(rank(20, 0.95), Some(18));
        assert_eq!(rank(6, 0.5), Some(2));
    }
}
