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

/// The shortest prefix length (at least 8 hex digits) at which every trace id in the set
/// is unique, so short ids in listings can be pasted back into `show`.
pub fn short_id_len(set: &TraceSet) -> usize {
    let mut ids: Vec<[u8; 16]> = set.traces.iter().map(|t| t.id.0).collect();
    ids.sort_unstable();
    let mut need = 8;
    for w in ids.windows(2) {
        let common_nibbles = common_prefix_nibbles(&w[0], &w[1]);
        need = need.max(common_nibbles + 1);
    }
    need.min(32)
}

fn common_prefix_nibbles(a: &[u8; 16], b: &[u8; 16]) -> usize {
    for i in 0..16 {
        if a[i] != b[i] {
            return 2 * i + usize::from(a[i] >> 4 == b[i] >> 4);
        }
    }
    32
}
pub mod filter;
