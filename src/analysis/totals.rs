//! Totals over a set of traces (the trace list, a session, a filter's matches), computed
//! once so every view prints the same numbers. A cost total is only as known as its
//! parts: unknown when nothing could be priced, a lower bound when something could not.

use crate::format::cost_compact;
use crate::model::TraceSet;

/// Sums over some traces of one set.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct TraceTotals {
    /// Traces counted.
    pub traces: usize,
    /// Spans in them.
    pub spans: u64,
    /// Failed steps in them.
    pub errors: u64,
    /// Steps with a warning in them.
    pub warnings: u64,
    /// Input tokens of billable leaves.
    pub input_tokens: u64,
    /// Output tokens of billable leaves.
    pub output_tokens: u64,
    /// Known cost of billable leaves.
    pub known_cost: f64,
    /// Billable leaves.
    pub billable: u64,
    /// Billable leaves whose cost is unknown.
    pub unpriced: u64,
}

impl TraceTotals {
    /// The totals of `traces` (indices into `set.traces`).
    pub fn of(set: &TraceSet, traces: impl IntoIterator<Item = u32>) -> TraceTotals {
        let mut t = TraceTotals::default();
        for i in traces {
            let Some(tr) = set.traces.get(i as usize) else {
                continue;
            };
            t.traces += 1;
            t.spans += u64::from(tr.span_count);
            t.errors += u64::from(tr.error_count);
            t.warnings += u64::from(tr.warning_count);
            t.input_tokens += tr.tokens.input.unwrap_or(0);
            t.output_tokens += tr.tokens.output.unwrap_or(0);
            t.known_cost += tr.cost_usd;
            t.billable += u64::from(tr.billable_steps);
            t.unpriced += u64::from(tr.unpriced_steps);
        }
        t
    }

    /// The total cost: `None` when nothing billable could be priced (unknown, never $0).
    pub fn cost(&self) -> Option<f64> {
        (self.billable > self.unpriced).then_some(self.known_cost)
    }

    /// True when some billable leaves could not be priced: the cost is a lower bound.
    pub fn cost_is_partial(&self) -> bool {
        self.unpriced > 0 && self.billable > self.unpriced
    }

    /// The cost as a cell: `$1.23`, `$1.23+` for a lower bound, `?` when unknown, `-`
    /// when nothing is billable.
    pub fn cost_text(&self) -> String {
        cost_compact(self.cost(), self.cost_is_partial(), self.billable > 0)
    }
}

/// Where a trace's cost came from, in words: billed (the spans carried it),
/// estimated from the price table of `as_of`, unknown, or the mix of them.
pub fn cost_origin(sources: (u32, u32, u32), as_of: &str) -> String {
    let (provided, priced, unknown) = sources;
    let table = if as_of.is_empty() {
        "the price table".to_owned()
    } else {
        format!("the price table of {as_of}")
    };
    match (provided, priced, unknown) {
        (0, 0, 0) => "nothing billable".into(),
        (_, 0, 0) => "billed: provided by the spans".into(),
        (0, _, 0) => format!("estimated from {table}"),
        (0, 0, _) => "unknown: no cost on the spans and no price for their models".into(),
        _ => {
            let mut parts = Vec::new();
            if provided > 0 {
                parts.push(format!("{provided} provided by the span"));
            }
            if priced > 0 {
                parts.push(format!("{priced} estimated from {table}"));
            }
            if unknown > 0 {
                parts.push(format!("{unknown} unknown"));
            }
            format!(
                "mixed: {} (of {} calls)",
                parts.join(", "),
                provided + priced + unknown
            )
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_is_never_zero_and_partial_is_a_lower_bound() {
        let mut t = TraceTotals {
            billable: 3,
            unpriced: 3,
            ..TraceTotals::default()
        };
        assert_eq!(t.cost(), None);
        assert_eq!(t.cost_text(), "?");
        t.unpriced = 1;
        t.known_cost = 0.1019;
        assert_eq!(t.cost_text(), "$0.1019+");
        t.unpriced = 0;
        assert_eq!(t.cost_text(), "$0.1019");
        assert_eq!(TraceTotals::default().cost_text(), "-");
    }
}
