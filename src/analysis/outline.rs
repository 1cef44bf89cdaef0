//! The outline of one trace: its spans in tree order with what every view derives from
//! the tree — subtree totals, failure origins with the ancestors they propagated to,
//! and the critical path. Built once per trace (iteratively, whatever the depth) and
//! shared by `show`, the explorer and the findings.

use crate::model::{NONE, Outcome, StepKind, TraceSet};
use rustc_hash::FxHashMap;

/// Totals of a subtree, the span itself included (shown on collapsed nodes and used
/// for a parent's "subtree" cells).
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct SubtreeTotals {
    /// Spans in the subtree.
    pub spans: u32,
    /// Wall time from the earliest start to the latest end in the subtree (ns).
    pub covered_ns: u64,
    /// Input tokens of its billable leaves.
    pub input_tokens: u64,
    /// Output tokens of its billable leaves.
    pub output_tokens: u64,
    /// Known cost of its billable leaves.
    pub cost: f64,
    /// Billable leaves in the subtree.
    pub billable: u32,
    /// Billable leaves whose cost is unknown (the cost is then a lower bound).
    pub unpriced: u32,
    /// Failed steps.
    pub errors: u32,
}

impl SubtreeTotals {
    /// The subtree's cost: `None` when nothing in it could be priced.
    pub fn cost(&self) -> Option<f64> {
        (self.billable > self.unpriced).then_some(self.cost)
    }

    /// True when some billable leaves could not be priced.
    pub fn cost_is_partial(&self) -> bool {
        self.unpriced > 0 && self.billable > self.unpriced
    }
}

/// A failure origin: a failed span with no failed descendant.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FailureOrigin {
    /// The failed span (arena index).
    pub span: u32,
    /// The failed ancestors it propagated to, nearest first (each also failed).
    pub propagated_to: Vec<u32>,
}

/// The outline of one trace.
#[derive(Clone, Debug, Default)]
pub struct TraceOutline {
    /// The trace (index in its set).
    pub trace: u32,
    /// Span indices in pre-order (children by start time).
    pub order: Vec<u32>,
    /// Pre-order position of each span.
    pub pos: FxHashMap<u32, u32>,
    /// Depth of each position (0 = a root).
    pub depth: Vec<u32>,
    /// Position just after each position's subtree.
    pub subtree_end: Vec<u32>,
    /// Whether each position is the last child of its parent (or the last root).
    pub last_child: Vec<bool>,
    /// Totals of each position's subtree.
    pub totals: Vec<SubtreeTotals>,
    /// Failure origins in pre-order.
    pub origins: Vec<FailureOrigin>,
    /// Whether each position lies on the critical path.
    pub critical: Vec<bool>,
}

impl TraceOutline {
    /// Builds the outline of trace `t` of `set`.
    pub fn build(set: &TraceSet, t: u32) -> TraceOutline {
        let Some(tr) = set.traces.get(t as usize) else {
            return TraceOutline::default();
        };
        let order: Vec<u32> = set.trace_spans(tr).to_vec();
        let n = order.len();
        let (pos, parent_pos) = positions(set, &order);
        let depth: Vec<u32> = order.iter().map(|&i| set.spans[i as usize].depth).collect();
        let subtree_end = subtree_ends(&depth);
        let last_child = last_children(&depth);
        let totals = subtree_totals(set, &order, &parent_pos);
        let origins = failure_origins(set, &order, &parent_pos, &totals);
        let mut critical = vec![false; n];
        for i in critical_path(set, tr.root) {
            if let Some(&p) = pos.get(&i) {
                critical[p as usize] = true;
            }
        }
        TraceOutline {
            trace: t,
            order,
            pos,
            depth,
            subtree_end,
            last_child,
            totals,
            origins,
            critical,
        }
    }

    /// The pre-order position of a span of this trace.
    pub fn position(&self, span: u32) -> Option<usize> {
        self.pos.get(&span).map(|&p| p as usize)
    }

    /// The subtree totals of a span of this trace.
    pub fn totals_of(&self, span: u32) -> SubtreeTotals {
        self.position(span)
            .and_then(|p| self.totals.get(p).copied())
            .unwrap_or_default()
    }

    /// The failure origin spans, in pre-order.
    pub fn origin_spans(&self) -> Vec<u32> {
        self.origins.iter().map(|o| o.span).collect()
    }

    /// The first failure origin, else the first span with a warning: the step that
    /// best explains the trace's outcome.
    pub fn explaining_span(&self, set: &TraceSet) -> Option<u32> {
        self.origins.first().map(|o| o.span).or_else(|| {
            self.order
                .iter()
                .copied()
                .find(|&i| set.step(i).outcome == Outcome::Warning)
        })
    }
}

/// For each pre-order position, the position after its subtree (where the depth
/// returns to its level or above).
fn subtree_ends(depth: &[u32]) -> Vec<u32> {
    let n = depth.len();
    let mut end = vec![n as u32; n];
    let mut stack: Vec<usize> = Vec::new();
    for (p, &d) in depth.iter().enumerate() {
        while let Some(&top) = stack.last() {
            if depth[top] >= d {
                end[top] = p as u32;
                stack.pop();
            } else {
                break;
            }
        }
        stack.push(p);
    }
    end
}

/// A position is the last child when no later position at its depth comes before a
/// shallower one.
fn last_children(depth: &[u32]) -> Vec<bool> {
    let mut last = vec![false; depth.len()];
    let mut later: Vec<bool> = Vec::new();
    for (p, &d) in depth.iter().enumerate().rev() {
        let d = d as usize;
        if later.len() <= d {
            later.resize(d + 1, false);
        }
        last[p] = !later[d];
        later[d] = true;
        later.truncate(d + 1);
    }
    last
}

/// Each span's position in `order` (a trace's pre-order), and each position's parent
/// position (`None` for a root or a span whose parent is elsewhere).
pub fn positions(set: &TraceSet, order: &[u32]) -> (FxHashMap<u32, u32>, Vec<Option<usize>>) {
    let pos: FxHashMap<u32, u32> = order
        .iter()
        .enumerate()
        .map(|(p, &i)| (i, p as u32))
        .collect();
    let parent_pos = order
        .iter()
        .map(|&i| {
            let par = set.spans[i as usize].parent;
            (par != NONE)
                .then(|| pos.get(&par).map(|&x| x as usize))
                .flatten()
        })
        .collect();
    (pos, parent_pos)
}

/// The totals of every position's subtree, bottom-up in one backward pass (children
/// come after their parent in pre-order).
pub fn subtree_totals(
    set: &TraceSet,
    order: &[u32],
    parent_pos: &[Option<usize>],
) -> Vec<SubtreeTotals> {
    let n = order.len();
    let mut totals = vec![SubtreeTotals::default(); n];
    let mut extent: Vec<(u64, u64)> = vec![(u64::MAX, 0); n];
    for p in (0..n).rev() {
        let i = order[p];
        let span = &set.spans[i as usize];
        let step = set.step(i);
        let t = &mut totals[p];
        t.spans += 1;
        if step.billable_leaf {
            t.input_tokens += step.tokens.input.unwrap_or(0);
            t.output_tokens += step.tokens.output.unwrap_or(0);
        }
        // As the trace roll-up counts them (`Step::bill`).
        match step.bill() {
            Some(Some(c)) => {
                t.billable += 1;
                t.cost += c;
            }
            Some(None) => {
                t.billable += 1;
                t.unpriced += 1;
            }
            None => {}
        }
        let e = &mut extent[p];
        e.0 = e.0.min(span.start);
        if span.is_finished() {
            e.1 = e.1.max(span.end);
        }
        let e = *e;
        t.covered_ns = e.1.saturating_sub(e.0.min(e.1));
        if step.outcome == Outcome::Error {
            t.errors += 1;
        }
        let mine = *t;
        if let Some(pp) = parent_pos[p] {
            let pt = &mut totals[pp];
            pt.spans += mine.spans;
            pt.input_tokens += mine.input_tokens;
            pt.output_tokens += mine.output_tokens;
            pt.cost += mine.cost;
            pt.billable += mine.billable;
            pt.unpriced += mine.unpriced;
            pt.errors += mine.errors;
            let pe = &mut extent[pp];
            pe.0 = pe.0.min(e.0);
            pe.1 = pe.1.max(e.1);
        }
    }
    totals
}

/// Failure origins in pre-order: failed spans whose subtree holds no other failure,
/// each with the failed ancestors it propagated to. A second record of a model call
/// (`Step::same_call_as`) is not an origin of its own: the call failed once.
fn failure_origins(
    set: &TraceSet,
    order: &[u32],
    parent_pos: &[Option<usize>],
    totals: &[SubtreeTotals],
) -> Vec<FailureOrigin> {
    let failed = |p: usize| set.step(order[p]).outcome == Outcome::Error;
    let mut origins: Vec<FailureOrigin> = (0..order.len())
        .filter(|&p| {
            failed(p) && totals[p].errors == 1 && set.step(order[p]).same_call_as.is_none()
        })
        .map(|p| {
            let mut propagated_to = Vec::new();
            let mut cur = parent_pos[p];
            while let Some(pp) = cur {
                if !failed(pp) {
                    break;
                }
                propagated_to.push(order[pp]);
                cur = parent_pos[pp];
            }
            FailureOrigin {
                span: order[p],
                propagated_to,
            }
        })
        .collect();
    // One exception surfacing in two places outside each other (LangGraph's node span
    // beside the model call it ran): the same reason is one failure. The model, tool
    // or retrieval step keeps it, the other counts as where it propagated.
    if origins.len() > 1 {
        let real = |i: u32| {
            matches!(
                set.step(i).kind,
                StepKind::Llm | StepKind::Tool | StepKind::Retrieval | StepKind::Embedding
            )
        };
        let mut kept: Vec<FailureOrigin> = Vec::with_capacity(origins.len());
        for o in origins {
            let reason = set.step(o.span).reason;
            let twin = (!reason.is_empty())
                .then(|| kept.iter().position(|k| set.step(k.span).reason == reason))
                .flatten();
            match twin {
                Some(k) if real(o.span) && !real(kept[k].span) => {
                    let other = std::mem::replace(&mut kept[k], o);
                    kept[k].propagated_to.insert(0, other.span);
                }
                // Beside the chain, not above it: first, so "up to" stays the top.
                Some(k) => kept[k].propagated_to.insert(0, o.span),
                None => kept.push(o),
            }
        }
        origins = kept;
    }
    origins
}

/// The critical path: from the main root, follow the child that ends last.
fn critical_path(set: &TraceSet, root: u32) -> Vec<u32> {
    let mut path = Vec::new();
    let mut cur = root;
    while cur != NONE && (cur as usize) < set.spans.len() && path.len() <= set.spans.len() {
        path.push(cur);
        cur = set
            .children_of(&set.spans[cur as usize])
            .iter()
            .copied()
            .max_by_key(|&c| set.spans[c as usize].end)
            .unwrap_or(NONE);
    }
    path
}
