//! The cells every span row shows — duration, tokens, cost, model or tool — and the
//! waterfall bar, each computed by one function so `show` and the explorer print the
//! same text for the same span.

use crate::analysis::outline::SubtreeTotals;
use crate::format::{cost_compact, duration, tokens};
use crate::model::{CostSource, Span, Step, StepKind, Trace, TraceSet};
use crate::sanitize::sanitize;

/// A span's own duration; `?` while unfinished.
pub fn duration_cell(span: &Span) -> String {
    if span.is_finished() {
        duration(span.duration_ns())
    } else {
        "?".into()
    }
}

/// `in→out` tokens; empty when neither is known.
pub fn tokens_cell(input: Option<u64>, output: Option<u64>) -> String {
    if input.is_none() && output.is_none() {
        return String::new();
    }
    format!("{}→{}", tokens(input), tokens(output))
}

/// A step's own tokens.
pub fn step_tokens_cell(step: &Step) -> String {
    tokens_cell(step.tokens.input, step.tokens.output)
}

/// A step's own cost: empty when nothing is billable, `?` when unknown; at most 8 cells.
pub fn step_cost_cell(step: &Step) -> String {
    match step.cost_source {
        CostSource::None => String::new(),
        CostSource::Unknown => "?".into(),
        _ => cost_compact(step.cost(), false, true),
    }
}

/// A collapsed subtree's tokens and cost (empty cells when the subtree has none); the
/// cost ends in `+` when some of it could not be priced.
pub fn subtree_cells(t: &SubtreeTotals) -> (String, String) {
    let tok = if t.input_tokens + t.output_tokens > 0 {
        tokens_cell(Some(t.input_tokens), Some(t.output_tokens))
    } else {
        String::new()
    };
    let cst = if t.billable > 0 {
        cost_compact(t.cost(), t.cost_is_partial(), true)
    } else {
        String::new()
    };
    (tok, cst)
}

/// The mark before a cell that shows a subtree's total rather than the span's own.
pub const SUBTREE_MARK: &str = "Σ";

/// A span row's tokens and cost cells. A billable call shows its own; a span whose
/// numbers live in its children (an agent or chain over its model calls, or any
/// collapsed parent) shows its subtree's total, marked with [`SUBTREE_MARK`], so a
/// root never says `?` while its trace's cost is known.
pub fn row_cells(step: &Step, t: &SubtreeTotals, collapsed: bool) -> (String, String) {
    let mark = |s: String| {
        if s.is_empty() {
            s
        } else {
            format!("{SUBTREE_MARK}{s}")
        }
    };
    let (sub_tok, sub_cost) = if t.spans > 1 {
        subtree_cells(t)
    } else {
        (String::new(), String::new())
    };
    if collapsed && t.spans > 1 {
        return (mark(sub_tok), mark(sub_cost));
    }
    let own_tok = step_tokens_cell(step);
    let tok = if own_tok.is_empty() && !step.billable_leaf {
        mark(sub_tok)
    } else {
        own_tok
    };
    let cost = if step.billable_leaf || sub_cost.is_empty() {
        step_cost_cell(step)
    } else {
        mark(sub_cost)
    };
    (tok, cost)
}

/// The model (for model calls) or tool name (for tool calls) shown on a row, sanitized.
pub fn model_or_tool(set: &TraceSet, step: &Step) -> String {
    let s = match step.kind {
        StepKind::Tool => set.str(step.tool_name),
        _ if !step.model.is_empty() => set.str(step.model),
        _ => set.str(step.tool_name),
    };
    sanitize(s).into_owned()
}

/// The characters a waterfall bar is drawn with.
#[derive(Clone, Copy, Debug)]
pub struct BarGlyphs {
    /// Where the span runs.
    pub fill: char,
    /// Elsewhere on the trace's time axis.
    pub empty: char,
}

/// A waterfall bar of `w` cells: where the span sits inside the trace's time range (an
/// unfinished span gets one cell at its start).
pub fn bar(trace: &Trace, s: &Span, w: usize, g: BarGlyphs) -> String {
    let total = trace.duration_ns().max(1) as f64;
    let start = s.start.saturating_sub(trace.start) as f64 / total;
    let end = if s.is_finished() {
        s.end.saturating_sub(trace.start) as f64 / total
    } else {
        start
    };
    let a = ((start * w as f64).floor() as usize).min(w.saturating_sub(1));
    let b = ((end * w as f64).ceil() as usize).clamp(a + 1, w.max(a + 1));
    let mut out = String::with_capacity(w * 3);
    out.extend(std::iter::repeat_n(g.empty, a));
    out.extend(std::iter::repeat_n(g.fill, b - a));
    out.extend(std::iter::repeat_n(g.empty, w.saturating_sub(b)));
    out
}
