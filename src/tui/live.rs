//! The explorer fed live (`open --listen`): what the receiver hands over is kept
//! until the next merge (a few times a second), then the set grows in place — the
//! set already held is the first batch of the next build, so nothing it holds is
//! copied and every arena index stays — and the screens are refreshed where they
//! are: the list keeps its selection (a "N new" count when it is scrolled away from
//! the top), an open trace grows with its selection and folds, late spans fix up
//! orphans. Past the span cap the oldest traces are evicted whole and counted.

use super::app::App;
use super::screens::Screen;
use crate::live::{Received, Receiver};
use crate::model::{Batch, TraceSet};
use crate::semconv::PriceTable;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

/// Spans kept by default before the oldest traces are evicted.
pub const DEFAULT_MAX_SPANS: usize = 2_000_000;
/// Time between merges while spans arrive.
const MERGE_EVERY: Duration = Duration::from_millis(400);

/// The live side of the explorer.
pub struct LiveState {
    /// The receiver (its address and counters).
    pub receiver: Receiver,
    /// Spans received and not merged yet (shared with the sink, for backpressure).
    pub pending_spans: Arc<AtomicUsize>,
    /// What arrived since the last merge.
    pending: Vec<Batch>,
    /// Frozen: arrivals wait (`P`).
    pub paused: bool,
    /// The most spans kept; the oldest traces beyond it are evicted.
    pub max_spans: usize,
    /// Traces evicted so far.
    pub evicted_traces: u64,
    /// Traces that arrived while the list was scrolled away from its top.
    pub unseen: usize,
    last_merge: Instant,
    prices: Arc<PriceTable>,
    /// Spans per second, over the last few seconds.
    pub rate: f64,
    rate_mark: (Instant, u64),
}

impl LiveState {
    /// The live state for `receiver`.
    pub fn new(
        receiver: Receiver,
        pending_spans: Arc<AtomicUsize>,
        max_spans: usize,
        prices: Arc<PriceTable>,
    ) -> LiveState {
        LiveState {
            receiver,
            pending_spans,
            pending: Vec::new(),
            paused: false,
            max_spans: max_spans.max(1),
            evicted_traces: 0,
            unseen: 0,
            last_merge: Instant::now(),
            prices,
            rate: 0.0,
            rate_mark: (Instant::now(), 0),
        }
    }

    /// Batches waiting to be merged.
    pub fn waiting(&self) -> usize {
        self.pending.len()
    }
}

impl App {
    /// A request's spans arrived: kept until the next merge.
    pub fn live_received(&mut self, r: Received) {
        if let Some(l) = &mut self.live {
            l.pending.push(r.batch);
        }
    }

    /// On the clock: merges what arrived when it is time (not while paused), and
    /// updates the receive rate. Returns whether the screen changed.
    pub fn live_tick(&mut self) -> bool {
        let Some(l) = &mut self.live else {
            return false;
        };
        let now = Instant::now();
        let elapsed = now.duration_since(l.rate_mark.0).as_secs_f64();
        let mut changed = false;
        if elapsed >= 1.0 {
            let spans = l.receiver.stats.spans();
            let rate = (spans - l.rate_mark.1) as f64 / elapsed;
            changed |= (rate - l.rate).abs() > f64::EPSILON;
            l.rate = rate;
            l.rate_mark = (now, spans);
        }
        if l.paused || l.pending.is_empty() || now.duration_since(l.last_merge) < MERGE_EVERY {
            return changed;
        }
        self.live_merge();
        true
    }

    /// Pause (or resume) the live view: arrivals wait in the buffer meanwhile.
    pub fn toggle_pause(&mut self) {
        let Some(l) = &mut self.live else {
            self.shared.status = "pause: only a live view (open --listen) can pause".into();
            return;
        };
        l.paused = !l.paused;
        self.shared.status = if l.paused {
            "paused: spans are still received and shown when you resume (P)".into()
        } else {
            "resumed".into()
        };
        if !l.paused {
            self.live_merge();
        }
    }

    /// Merges what arrived into the set, keeping every screen's place.
    pub fn live_merge(&mut self) {
        let Some(l) = &mut self.live else {
            return;
        };
        let batches = std::mem::take(&mut l.pending);
        let arrived: usize = batches.iter().map(|b| b.spans.len()).sum();
        l.last_merge = Instant::now();
        let prices = l.prices.clone();
        let max_spans = l.max_spans;
        let key = match self.screens.first() {
            Some(Screen::List(list)) => list.selection_key(&self.shared.set),
            _ => None,
        };
        let base = match self.plain.take() {
            Some(plain) => plain,
            None => std::mem::take(&mut self.shared.set),
        };
        let before = base.traces.len();
        let sources = base.sources.clone();
        let mut all = Vec::with_capacity(batches.len() + 1);
        all.push(base.into_batch());
        all.extend(batches);
        let mut set = TraceSet::build(all, sources, Vec::new());
        let mut evicted = 0;
        if set.spans.len() > max_spans {
            let (kept, n) = evict_oldest(set, max_spans);
            set = kept;
            evicted = n;
        }
        crate::semconv::annotate(&mut set, &prices);
        crate::analysis::findings::derive(&mut set);
        let grown = set.traces.len().saturating_sub(before);
        if let Some(l) = &mut self.live {
            l.pending_spans.fetch_sub(
                arrived.min(l.pending_spans.load(Ordering::Relaxed)),
                Ordering::Relaxed,
            );
            l.evicted_traces += evicted as u64;
        }
        self.shared.set = self.shown(set);
        if evicted > 0 {
            // Indices moved: back to the list, which keeps its selection by id.
            self.screens.truncate(1);
            self.shared.status =
                format!("evicted the {evicted} oldest traces (over --max-spans {max_spans})");
        }
        let at_top = matches!(self.screens.as_slice(), [Screen::List(l)] if l.sel == 0);
        if let Some(Screen::List(list)) = self.screens.first_mut() {
            list.reselect(key, &self.shared);
            if at_top {
                list.sel = 0;
                list.offset = 0;
            }
        }
        if let Some(l) = &mut self.live {
            l.unseen = if at_top { 0 } else { l.unseen + grown };
        }
        for screen in self.screens.iter_mut().skip(1) {
            match screen {
                Screen::Trace(t) if t.local.is_none() => t.regrow(&self.shared),
                Screen::Session(s) => {
                    let session = s.session;
                    s.rebuild(&self.shared.set, session);
                }
                _ => {}
            }
        }
    }
}

/// Drops the oldest traces (by start) whole until at most 90% of `max_spans` remain,
/// and compacts what is kept (re-encoded, so the arenas shrink too). Returns the new
/// set and how many traces went.
fn evict_oldest(set: TraceSet, max_spans: usize) -> (TraceSet, usize) {
    let target = max_spans / 10 * 9;
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
    keep.sort_by_key(|&t| (set.traces[t as usize].start, t));
    let spans = crate::export::select(&set, &keep, None);
    let mut buf = Vec::new();
    if crate::export::write(
        &mut buf,
        &set,
        &spans,
        crate::export::ExportFormat::OtlpProto,
        None,
        &mut |_| {},
    )
    .is_err()
    {
        return (set, 0);
    }
    let sources = set.sources.clone();
    drop(set);
    match crate::decode::otlp_proto::decode(&buf, 0, "live", 1) {
        Ok(d) => (TraceSet::build(d.batches, sources, Vec::new()), evicted),
        Err(_) => (TraceSet::build(Vec::new(), sources, Vec::new()), evicted),
    }
}
