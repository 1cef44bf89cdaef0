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

/// Where trace `t`'s time went, by step kind: each step's own time, and nothing inside
/// a call that owns its whole duration (a tool's HTTP child is the tool's time), so no
/// time is counted twice along a path. Largest first; kinds with no time left out.
pub fn time_by_kind(set: &TraceSet, t: u32) -> Vec<(StepKind, u64)> {
    let Some(tr) = set.traces.get(t as usize) else {
        return Vec::new();
    };
    let mut sums = [0u64; StepKind::ALL.len()];
    // Depth of the owning call we are inside, if any (spans come in pre-order).
    let mut inside: Option<u32> = None;
    for &i in set.trace_spans(tr) {
        let s = &set.spans[i as usize];
        if inside.is_some_and(|d| s.depth > d) {
            continue;
        }
        inside = None;
        let step = set.step(i);
        let kind = step.kind;
        if owns_duration(kind) {
            inside = Some(s.depth);
        }
        // A second record of a model call took no time of its own.
        if step.same_call_as.is_some() {
            continue;
        }
        if let Some(ns) = step_time(set, i)
            && let Some(k) = StepKind::ALL.iter().position(|x| *x == kind)
        {
            sums[k] += ns;
        }
    }
    let mut out: Vec<(StepKind, u64)> = StepKind::ALL
        .iter()
        .zip(sums)
        .filter(|(_, ns)| *ns > 0)
        .map(|(k, ns)| (*k, ns))
        .collect();
    out.sort_by_key(|x| std::cmp::Reverse(x.1));
    out
}

/// The split as one line: `llm 4.10s 61% · tool 2.10s 31% · agent 500ms 8%`.
pub fn time_split_line(split: &[(StepKind, u64)]) -> String {
    let total: u64 = split.iter().map(|(_, ns)| ns).sum();
    split
        .iter()
        .map(|(k, ns)| {
            format!(
                "{} {} {:.0}%",
                k.as_str(),
                crate::format::duration(*ns),
                100.0 * *ns as f64 / total.max(1) as f64
            )
        })
        .collect::<Vec<_>>()
        .join(" · ")
}

/// Time to the first token of an LLM call (ns), where the span records it:
/// `gen_ai.response.time_to_first_chunk` (seconds), the Vercel AI SDK's
/// `ai.response.msToFirstChunk` / `ai.stream.msToFirstChunk` (ms), or its
/// `ai.stream.firstChunk` event.
pub fn time_to_first_token(set: &TraceSet, i: u32) -> Option<u64> {
    let s = set.spans.get(i as usize)?;
    let num = |k: &str| {
        set.span_attr(s, k).and_then(|v| match v {
            crate::model::AttrValue::Double(d) => Some(*d),
            v => v.as_i64(&set.strings).map(|x| x as f64),
        })
    };
    let ns = |x: f64| (x.is_finite() && x >= 0.0).then_some(x as u64);
    // Seconds: OpenLLMetry's attribute, and the OTel metric's name as an attribute.
    for k in [
        "gen_ai.response.time_to_first_chunk",
        "gen_ai.client.operation.time_to_first_chunk",
    ] {
        if let Some(sec) = num(k) {
            return ns(sec * 1e9);
        }
    }
    // Milliseconds: the Vercel AI SDK, Claude Code (`ttft_ms`), strands-agents (which
    // writes its `gen_ai.server.time_to_first_token` in ms).
    for k in [
        "ai.response.msToFirstChunk",
        "ai.stream.msToFirstChunk",
        "ttft_ms",
        "gen_ai.server.time_to_first_token",
    ] {
        if let Some(ms) = num(k) {
            return ns(ms * 1e6);
        }
    }
    set.span_events(s)
        .iter()
        .find(|e| set.str(e.name) == "ai.stream.firstChunk")
        .map(|e| e.time.saturating_sub(s.start))
}
