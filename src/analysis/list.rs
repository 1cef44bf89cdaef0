//! The trace-list query: a filter expression, a sort key and a limit, resolved once
//! and used by `ls`, the explorer and (its filter) the store reader. "Failed only" and
//! "slow" are filter terms (`status:error`, `dur>=…`), not separate switches.

use crate::model::{Trace, TraceSet};
use crate::query::filter::Filter;
use std::cmp::Ordering;

/// What the trace list is ordered by. One comparison per key, in natural (ascending)
/// order; [`TraceListQuery::descending`] flips it. Ties always break the same way,
/// whatever the direction: newest first, then by trace id, so the order is total and
/// stable across runs.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default, Hash, clap::ValueEnum)]
pub enum SortKey {
    /// Start time.
    #[default]
    Start,
    /// Duration.
    Duration,
    /// Error count, then warning count.
    Errors,
    /// Tokens (input + output).
    Tokens,
    /// Cost (unknown below every known cost).
    Cost,
    /// Span count.
    Spans,
    /// Display name (root or agent name), ignoring case.
    Name,
}

impl SortKey {
    /// Every key, in the order the explorer's `o` cycles through them.
    pub const ALL: [SortKey; 7] = [
        SortKey::Start,
        SortKey::Duration,
        SortKey::Errors,
        SortKey::Tokens,
        SortKey::Cost,
        SortKey::Spans,
        SortKey::Name,
    ];

    /// The key's name, as in `--sort` and in the explorer's status line.
    pub fn title(self) -> &'static str {
        match self {
            SortKey::Start => "start",
            SortKey::Duration => "duration",
            SortKey::Errors => "errors",
            SortKey::Tokens => "tokens",
            SortKey::Cost => "cost",
            SortKey::Spans => "spans",
            SortKey::Name => "name",
        }
    }

    /// The usual direction: largest (newest) first, names A to Z.
    pub fn descending_by_default(self) -> bool {
        self != SortKey::Name
    }

    /// The next key in [`SortKey::ALL`].
    pub fn next(self) -> SortKey {
        let i = SortKey::ALL.iter().position(|k| *k == self).unwrap_or(0);
        SortKey::ALL[(i + 1) % SortKey::ALL.len()]
    }

    /// Compares two traces by this key alone, ascending.
    fn compare(self, set: &TraceSet, a: &Trace, b: &Trace) -> Ordering {
        let tokens = |t: &Trace| t.tokens.input.unwrap_or(0) + t.tokens.output.unwrap_or(0);
        match self {
            SortKey::Start => a.start.cmp(&b.start),
            SortKey::Duration => a.duration_ns().cmp(&b.duration_ns()),
            SortKey::Errors => {
                (a.error_count, a.warning_count).cmp(&(b.error_count, b.warning_count))
            }
            SortKey::Tokens => tokens(a).cmp(&tokens(b)),
            SortKey::Cost => match (a.cost(), b.cost()) {
                (Some(x), Some(y)) => x.total_cmp(&y),
                (x, y) => x.is_some().cmp(&y.is_some()),
            },
            SortKey::Spans => a.span_count.cmp(&b.span_count),
            SortKey::Name => {
                let name = |t: &Trace| set.str(t.display_name()).to_lowercase();
                name(a).cmp(&name(b))
            }
        }
    }
}

/// Spans above which a filter runs on every core: each thread tests a contiguous
/// share of the traces with its own matcher (caches are per matcher).
const PARALLEL_SPANS: usize = 200_000;

/// The traces with a span matching `filter`, in index order.
fn matching_traces(filter: &Filter, set: &TraceSet) -> Vec<u32> {
    let n = set.traces.len() as u32;
    let threads = std::thread::available_parallelism()
        .map_or(1, |p| p.get())
        .min(8);
    if threads < 2 || set.spans.len() < PARALLEL_SPANS {
        let m = filter.matcher(set);
        return (0..n).filter(|&t| m.trace_matches(t)).collect();
    }
    // Shares of about equal span counts (one trace may hold a fifth of them).
    let per = set.spans.len().div_ceil(threads);
    let mut bounds = vec![0u32];
    let mut acc = 0usize;
    for (t, tr) in set.traces.iter().enumerate() {
        acc += tr.span_count as usize;
        if acc >= per * bounds.len() && (t as u32 + 1) < n {
            bounds.push(t as u32 + 1);
        }
    }
    bounds.push(n);
    // Text terms' tables over every interned string: worked out once, not per thread.
    let first = filter.matcher(set);
    let text = first.searches_text().then(|| first.text_hits());
    std::thread::scope(|sc| {
        let parts: Vec<_> = bounds
            .windows(2)
            .map(|w| {
                let (lo, hi) = (w[0], w[1]);
                let text = text.clone();
                sc.spawn(move || {
                    let m = match text {
                        Some(t) => filter.matcher(set).with_text_hits(t),
                        None => filter.matcher(set),
                    };
                    (lo..hi)
                        .filter(|&t| m.trace_matches(t))
                        .collect::<Vec<u32>>()
                })
            })
            .collect();
        parts
            .into_iter()
            .flat_map(|h| h.join().unwrap_or_default())
            .collect()
    })
}

/// The trace list asked for: which traces, in which order, how many.
#[derive(Clone, Debug, PartialEq)]
pub struct TraceListQuery {
    /// Traces with a span matching this filter (summaries decide it on the trace).
    pub filter: Filter,
    /// Order.
    pub sort: SortKey,
    /// Largest first.
    pub descending: bool,
    /// At most this many rows.
    pub limit: Option<usize>,
}

impl Default for TraceListQuery {
    fn default() -> Self {
        TraceListQuery {
            filter: Filter::default(),
            sort: SortKey::Start,
            descending: true,
            limit: None,
        }
    }
}

impl TraceListQuery {
    /// The query for `filter` in the default order.
    pub fn new(filter: Filter) -> TraceListQuery {
        TraceListQuery {
            filter,
            ..TraceListQuery::default()
        }
    }

    /// Trace indices matching the query, in order.
    pub fn run(&self, set: &TraceSet) -> Vec<u32> {
        let mut rows: Vec<u32> = if self.filter.is_empty() {
            (0..set.traces.len() as u32).collect()
        } else {
            matching_traces(&self.filter, set)
        };
        self.order(set, &mut rows);
        if let Some(n) = self.limit {
            rows.truncate(n);
        }
        rows
    }

    /// Sorts trace indices by the query's key and direction, ties as documented on
    /// [`SortKey`].
    pub fn order(&self, set: &TraceSet, rows: &mut [u32]) {
        let tr = |t: u32| &set.traces[t as usize];
        let ties = |a: &Trace, b: &Trace| b.start.cmp(&a.start).then(a.id.cmp(&b.id));
        if self.sort == SortKey::Name {
            // Names are lowered once per trace, not once per comparison.
            let mut keyed: Vec<(String, u32)> = rows
                .iter()
                .map(|&t| (set.str(tr(t).display_name()).to_lowercase(), t))
                .collect();
            keyed.sort_by(|(na, a), (nb, b)| {
                let k = na.cmp(nb);
                let k = if self.descending { k.reverse() } else { k };
                k.then_with(|| ties(tr(*a), tr(*b)))
            });
            for (slot, (_, t)) in rows.iter_mut().zip(keyed) {
                *slot = t;
            }
            return;
        }
        rows.sort_by(|&a, &b| {
            let k = self.sort.compare(set, tr(a), tr(b));
            let k = if self.descending { k.reverse() } else { k };
            k.then_with(|| ties(tr(a), tr(b)))
        });
    }
}
