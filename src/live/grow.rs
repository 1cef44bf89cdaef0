//! Growing a set with what arrived, the one way every live view does it (the
//! explorer's merge worker, `ls --follow`): the set already held becomes the first
//! batch of the next build — nothing it holds is copied and every trace keeps its
//! index — late parents fix up orphans, steps and findings are derived again, and
//! past the span cap the oldest traces are evicted whole (never silently: the count
//! is returned).

use crate::model::{Batch, TraceSet};
use crate::semconv::PriceTable;

/// Log records kept waiting for their spans (beyond it the oldest are dropped, with
/// a warning).
pub const MAX_UNATTACHED_LOGS: usize = 100_000;

/// A grown set and what growing it cost.
#[derive(Debug)]
pub struct Grown {
    /// The set with the new spans in.
    pub set: TraceSet,
    /// Traces evicted to stay under the cap (their indices are gone: views that
    /// hold trace indices must start again from the list).
    pub evicted: usize,
    /// Spans that arrived in this growth.
    pub arrived: usize,
}

/// Sets smaller than this are derived whole at every growth (it costs milliseconds).
const DERIVE_WHOLE_BELOW: usize = 100_000;

/// `base` with `batches` merged in, derived, and cut to `max_spans`. The set grows
/// in place ([`TraceSet::extend_with`]): only the spans that arrived or changed get
/// their steps derived again, only the traces they belong to their findings; the
/// findings of the others are derived again once the set has grown by a tenth since
/// they last were (peer comparisons move with the set).
pub fn grow(
    mut base: TraceSet,
    batches: Vec<Batch>,
    prices: &PriceTable,
    max_spans: usize,
) -> Grown {
    let arrived = batches.iter().map(|b| b.spans.len()).sum();
    let growth = base.extend_with(batches);
    let mut set = base;
    let mut evicted = 0;
    if set.spans.len() > max_spans.max(1) {
        let (kept, n) = evict_oldest(set, max_spans.max(1));
        set = kept;
        evicted = n;
    }
    let waiting = set.unattached_logs.len();
    if waiting > MAX_UNATTACHED_LOGS {
        // The oldest records go first: their spans are the least likely to come.
        set.unattached_logs.sort_by_key(|l| l.time);
        set.unattached_logs.drain(..waiting - MAX_UNATTACHED_LOGS);
        set.warnings.push(crate::model::Warning {
            source: set.sources.first().cloned().unwrap_or_default(),
            position: crate::model::Position::Whole,
            message: format!(
                "{} log records waited for spans that never came; dropped",
                waiting - MAX_UNATTACHED_LOGS
            ),
        });
    }
    if evicted > 0 {
        // A compacted set has new indices throughout: derive it whole.
        crate::semconv::annotate(&mut set, prices);
        crate::analysis::findings::derive(&mut set);
    } else {
        crate::semconv::annotate_grown(&mut set, prices, &growth);
        let n = set.spans.len();
        let basis = set.findings_basis;
        if n < DERIVE_WHOLE_BELOW || n >= basis + basis / 10 {
            crate::analysis::findings::derive(&mut set);
        } else {
            let changed = growth.changed_traces(&set);
            crate::analysis::findings::derive_changed(&mut set, &changed);
        }
    }
    Grown {
        set,
        evicted,
        arrived,
    }
}

/// Drops the oldest traces (by start) whole until at most three quarters of
/// `max_spans` remain (an eviction derives the whole kept set again, so a quarter of
/// headroom keeps it rare under a steady stream), and compacts what is kept
/// ([`TraceSet::keep_traces`]: the arenas and the string table shrink too, each span
/// keeps its input and merge mark, the warnings and the log records still waiting
/// for their spans stay). Returns the new set and how many traces went.
fn evict_oldest(set: TraceSet, max_spans: usize) -> (TraceSet, usize) {
    let target = max_spans - max_spans / 4;
    let mut order: Vec<u32> = (0..set.traces.len() as u32).collect();
    order.sort_by_key(|&t| std::cmp::Reverse(set.traces[t as usize].start));
    let mut kept_spans = 0usize;
    let mut keep = Vec::new();
    for t in order {
        let n = set.traces[t as usize].span_count as usize;
        if kept_spans + n > target && !keep.is_empty() {
            continue;
        }
        kept_spans += n;
        keep.push(t);
    }
    let evicted = set.traces.len() - keep.len();
    let sources = set.sources.clone();
    let formats = set.source_formats.clone();
    let batch = set.keep_traces(&keep);
    let mut kept = TraceSet::build(vec![batch], sources, Vec::new());
    kept.source_formats = formats;
    (kept, evicted)
}
