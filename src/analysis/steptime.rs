//! A step's own time: what "slow" means for a step. A model, tool or retrieval call
//! owns its whole duration (its HTTP child is how it spent it); a wrapper — an agent,
//! a chain, any other parent — owns only the time none of its children cover, so a
//! 12 s run around an 8 s tool call is not itself a slow step.

use crate::model::{StepKind, TraceSet};
use std::cmp::Reverse;
use std::collections::BinaryHeap;

/// True for steps that own their whole duration.
fn owns_duration(kind: StepKind) -> bool {
    matches!(
        kind,
        StepKind::Llm
            | StepKind::Tool
            | StepKind::Retrieval
            | StepKind::Embedding
            | StepKind::Rerank
            | StepKind::Guardrail
    )
}

/// The own time of span `i` (ns); `None` while it is unfinished.
pub fn step_time(set: &TraceSet, i: u32) -> Option<u64> {
    let span = set.spans.get(i as usize)?;
    if !span.is_finished() {
        return None;
    }
    let children = set.children_of(span);
    if children.is_empty() || owns_duration(set.step(i).kind) {
        return Some(span.duration_ns());
    }
    // The part of [start, end) that no child covers: merge the children's clipped
    // intervals in start order.
    let mut iv: Vec<(u64, u64)> = children
        .iter()
        .filter_map(|&c| {
            let c = set.spans.get(c as usize)?;
            let a = c.start.max(span.start);
            let b = if c.is_finished() { c.end } else { c.start }.min(span.end);
            (b > a).then_some((a, b))
        })
        .collect();
    iv.sort_unstable();
    let mut covered = 0u64;
    let mut cur: Option<(u64, u64)> = None;
    for (a, b) in iv {
        cur = match cur {
            Some((ca, cb)) if a <= cb => Some((ca, cb.max(b))),
            Some((ca, cb)) => {
                covered += cb - ca;
                Some((a, b))
            }
            None => Some((a, b)),
        };
    }
    if let Some((ca, cb)) = cur {
        covered += cb - ca;
    }
    Some(span.duration_ns().saturating_sub(covered))
}

/// The `k` spans with the longest own time among those `keep` accepts, longest
/// first (ties: earlier start first).
pub fn slowest_steps(set: &TraceSet, k: usize, keep: impl Fn(u32) -> bool) -> Vec<(u32, u64)> {
    let mut heap: BinaryHeap<Reverse<(u64, Reverse<u64>, u32)>> = BinaryHeap::with_capacity(k + 1);
    for i in 0..set.spans.len() as u32 {
        let Some(t) = step_time(set, i) else {
            continue;
        };
        if heap.len() == k && heap.peek().is_some_and(|Reverse((min, _, _))| t <= *min) {
            continue;
        }
        if !keep(i) {
            continue;
        }
        heap.push(Reverse((t, Reverse(set.spans[i as usize].start), i)));
        if heap.len() > k {
            heap.pop();
        }
    }
    let mut out: Vec<(u64, Reverse<u64>, u32)> = heap.into_iter().map(|Reverse(x)| x).collect();
    out.sort_unstable_by(|a, b| b.cmp(a));
    out.into_iter().map(|(t, _, i)| (i, t)).collect()
}
