//! The agent view: only the steps that matter to an agent's reasoning — agent, LLM,
//! tool, retrieval, guardrail… — with the plumbing under them (HTTP, gRPC, DB,
//! framework internals) folded into the nearest step and counted. A plumbing span
//! stays when it leads to a step below it (the tree keeps its shape), when it failed
//! or warned, carries an integrity mark or a finding, so nothing wrong is folded away.

use super::outline::TraceOutline;
use crate::model::{Outcome, StepKind, TraceSet};

/// True for spans that are plumbing to an agent: neither a GenAI step nor a chain.
pub fn is_plumbing(kind: StepKind) -> bool {
    kind == StepKind::Other
}

/// True when a trace has GenAI steps (the agent view is worth its name there).
pub fn applies(set: &TraceSet, t: u32) -> bool {
    set.traces.get(t as usize).is_some_and(|tr| {
        set.trace_spans(tr)
            .iter()
            .any(|&i| !is_plumbing(set.step(i).kind) && set.step(i).kind != StepKind::Chain)
    })
}

/// Per outline position: kept by the agent view, and for each kept position the
/// number of folded spans whose nearest kept ancestor it is.
pub fn fold(set: &TraceSet, o: &TraceOutline) -> (Vec<bool>, Vec<u32>) {
    let n = o.order.len();
    // Steps per subtree: a prefix sum over pre-order positions.
    let mut steps_before = vec![0u32; n + 1];
    for p in 0..n {
        let step = !is_plumbing(set.step(o.order[p]).kind);
        steps_before[p + 1] = steps_before[p] + u32::from(step);
    }
    let mut keep: Vec<bool> = (0..n)
        .map(|p| {
            let i = o.order[p];
            let step = set.step(i);
            let end = o.subtree_end[p] as usize;
            !is_plumbing(step.kind)
                || steps_before[end] > steps_before[p]
                || step.outcome != Outcome::Ok
                || !set.spans[i as usize].marks.labels().is_empty()
                || set.finding_marks.get(i as usize).is_some_and(|m| *m != 0)
        })
        .collect();
    // A kept span keeps its ancestors: the tree above it stays whole.
    for p in (0..n).rev() {
        if keep[p]
            && let Some(pp) = o.position(set.spans[o.order[p] as usize].parent)
        {
            keep[pp] = true;
        }
    }
    let mut folded = vec![0u32; n];
    // Kept ancestors of the current position, as (depth, position).
    let mut stack: Vec<(u32, usize)> = Vec::new();
    for (p, &kept) in keep.iter().enumerate() {
        let d = o.depth[p];
        while stack.last().is_some_and(|&(sd, _)| sd >= d) {
            stack.pop();
        }
        if kept {
            stack.push((d, p));
        } else if let Some(&(_, a)) = stack.last() {
            folded[a] += 1;
        }
    }
    (keep, folded)
}
