//! Selecting and ordering traces for the trace list: failed-only, slower-than, sort
//! key, limit. (The full filter language of DESIGN.md builds on this.)

use crate::model::{Outcome, TraceSet};

/// What to sort the trace list by. Every key sorts largest (newest) first.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum SortKey {
    /// Newest first.
    #[default]
    Start,
    /// Longest first.
    Duration,
    /// Most spans first.
    Spans,
    /// Most errors first.
    Errors,
    /// Most tokens (input + output) first.
    Tokens,
    /// Most expensive first (unknown cost last).
    Cost,
}

/// A trace-list query.
#[derive(Clone, Debug, Default)]
pub struct TraceQuery {
    /// Only traces with an error.
    pub failed: bool,
    /// Only traces at least this long (ns).
    pub slower_than: Option<u64>,
    /// Order.
    pub sort: SortKey,
    /// At most this many rows.
    pub limit: Option<usize>,
    /// Only traces of this session / conversation id.
    pub session: Option<String>,
    /// Only traces with a span matching this filter.
    pub filter: Option<filter::Filter>,
}

impl TraceQuery {
    /// Trace indices matching the query, in order.
    pub fn run(&self, set: &TraceSet) -> Vec<u32> {
        let matcher = self.filter.as_ref().map(|f| f.matcher(set));
        let mut rows: Vec<u32> = (0..set.traces.len() as u32)
            .filter(|&t| matcher.as_ref().is_none_or(|m| m.trace_matches(t)))
            .filter(|&t| {
                let tr = &set.traces[t as usize];
                (!self.failed || tr.outcome() == Outcome::Error)
                    && self.slower_than.is_none_or(|min| tr.duration_ns() >= min)
                    && self
                        .session
                        .as_deref()
                        .is_none_or(|s| set.str(tr.session) == s)
            })
            .collect();
        let key = |t: u32| {
            let tr = &set.traces[t as usize];
            match self.sort {
                SortKey::Start => tr.start,
                SortKey::Duration => tr.duration_ns(),
                SortKey::Spans => u64::from(tr.span_count),
                SortKey::Errors => u64::from(tr.error_count),
                SortKey::Tokens => tr.tokens.input.unwrap_or(0) + tr.tokens.output.unwrap_or(0),
                // Micro-dollars keep the order exact enough; unknown sorts last.
                SortKey::Cost => tr.cost().map_or(0, |c| (c * 1e6) as u64 + 1),
            }
        };
        // Ties: newest first, then by id, so output is stable across runs.
        rows.sort_by(|&a, &b| {
            let (ta, tb) = (&set.traces[a as usize], &set.traces[b as usize]);
            key(b)
                .cmp(&key(a))
                .then(tb.start.cmp(&ta.start))
                .then(ta.id.cmp(&tb.id))
        });
        if let Some(n) = self.limit {
            rows.truncate(n);
        }
        rows
    }
}

/// Parses a duration such as `2s`, `500ms`, `1.5m`, `250us`, `90` (seconds).
pub fn parse_duration(s: &str) -> Option<u64> {
    let s = s.trim();
    let split = s
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(s.len());
    let (num, unit) = s.split_at(split);
    let v: f64 = num.parse().ok()?;
    let mult = match unit.trim() {
        "" | "s" | "sec" | "secs" => 1e9,
        "ms" => 1e6,
        "us" | "µs" => 1e3,
        "ns" => 1.0,
        "m" | "min" => 60e9,
        "h" => 3600e9,
        _ => return None,
    };
    let ns = v * mult;
    (ns.is_finite() && ns >= 0.0 && ns < u64::MAX as f64).then_some(ns as u64)
}

#[cfg(test)]
mod tests {
    use super::parse_duration;

    #[test]
    fn durations_parse() {
        assert_eq!(parse_duration("2s"), Some(2_000_000_000));
        assert_eq!(parse_duration("500ms"), Some(500_000_000));
        assert_eq!(parse_duration("1.5m"), Some(90_000_000_000));
        assert_eq!(parse_duration("fast"), None);
    }
}

pub mod filter;
