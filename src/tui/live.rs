//! The explorer fed live (`open --listen`, a pipe read as it arrives, `--follow`).
//! What arrives goes straight to a merge worker on its own thread, which grows its
//! own copy of the set a few times a second ([`crate::live::grow`]) and hands the
//! UI a finished copy; the UI only swaps it in and refreshes the screens where they
//! are, so keys stay quick however large the set: the list keeps its selection (a
//! "N new" count when it is scrolled away from the top), an open trace grows with
//! its selection and folds, late spans fix up orphans. Past the span cap the oldest
//! traces are evicted whole and counted. `P` holds what the worker finishes until
//! resumed.

use super::app::App;
use super::screens::Screen;
use crate::live::grow::{Grown, grow};
use crate::live::{Received, Sink, Stats};
use crate::model::{Batch, TraceSet};
use crate::semconv::PriceTable;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::mpsc;
use std::time::{Duration, Instant};

/// Spans kept by default before the oldest traces are evicted.
pub const DEFAULT_MAX_SPANS: usize = 2_000_000;
/// Least time between merges while spans arrive.
const MERGE_EVERY: Duration = Duration::from_millis(400);
/// Spans waiting to be merged beyond which the receiver refuses (503) and feeds wait.
pub const MAX_PENDING_SPANS: usize = 1_000_000;

/// One thing feeding the view: its name in the header and its counters.
#[derive(Clone, Debug)]
pub struct Origin {
    /// `http://127.0.0.1:4318 · grpc 127.0.0.1:4317`, `stdin`, `following F`.
    pub label: String,
    /// Its counters (rate, end, notices).
    pub stats: Arc<Stats>,
}

enum ToWorker {
    /// Arrived spans, with their sequence number.
    Batch(u64, Box<Batch>),
    /// The set loaded from the named sources, to grow from.
    Seed(Box<TraceSet>),
    /// Merge now, even if it is not time yet.
    Flush,
    /// A set the UI no longer shows, dropped here rather than on the UI thread.
    Drop(Box<TraceSet>),
}

/// A merge the worker finished.
struct Merged {
    grown: Grown,
    /// The last batch it includes.
    seq: u64,
    /// Trace indices moved (eviction, or a seed merged after live data): views
    /// holding trace indices start again from the list.
    reindexed: bool,
    took: Duration,
}

/// The live side of the explorer.
pub struct LiveState {
    /// What feeds the view.
    pub origins: Vec<Origin>,
    /// Spans received and not merged yet (for backpressure).
    pub pending_spans: Arc<AtomicUsize>,
    seq: Arc<AtomicU64>,
    to_worker: mpsc::Sender<ToWorker>,
    from_worker: mpsc::Receiver<Merged>,
    /// What the worker finished while paused.
    held: Option<Merged>,
    /// Frozen: arrivals wait (`P`).
    pub paused: bool,
    /// The most spans kept; the oldest traces beyond it are evicted.
    pub max_spans: usize,
    /// Traces evicted so far.
    pub evicted_traces: u64,
    /// Traces that arrived while the list was scrolled away from its top.
    pub unseen: usize,
    /// Merges applied, and how long the last took on the worker.
    pub merges: u64,
    /// Worker time of the last merge.
    pub last_merge: Duration,
    /// Spans per second, over the last few seconds.
    pub rate: f64,
    rate_mark: (Instant, u64),
}

impl LiveState {
    /// Starts the merge worker; `wake` tells the event loop a merge is ready.
    pub fn start(
        max_spans: usize,
        prices: Arc<PriceTable>,
        wake: Arc<dyn Fn() + Send + Sync>,
    ) -> LiveState {
        let (to_worker, rx) = mpsc::channel();
        let (tx, from_worker) = mpsc::channel();
        let pending_spans = Arc::new(AtomicUsize::new(0));
        let max_spans = max_spans.max(1);
        {
            let pending = pending_spans.clone();
            let _ = std::thread::Builder::new()
                .name("live-merge".into())
                .spawn(move || worker(&rx, &tx, &prices, max_spans, &*wake, &pending));
        }
        LiveState {
            origins: Vec::new(),
            pending_spans,
            seq: Arc::new(AtomicU64::new(0)),
            to_worker,
            from_worker,
            held: None,
            paused: false,
            max_spans,
            evicted_traces: 0,
            unseen: 0,
            merges: 0,
            last_merge: Duration::ZERO,
            rate: 0.0,
            rate_mark: (Instant::now(), 0),
        }
    }

    /// The receiver's sink: refuses (503, retried by the exporter) when too much waits.
    pub fn sink(&self) -> Sink {
        let (tx, seq) = (
            std::sync::Mutex::new(self.to_worker.clone()),
            self.seq.clone(),
        );
        crate::live::bounded_sink(self.pending_spans.clone(), MAX_PENDING_SPANS, move |r| {
            send(&tx, &seq, r)
        })
    }

    /// A feed's sink: waits while too much waits (the pipe is read slower).
    pub fn feed_sink(&self) -> Sink {
        let (tx, seq) = (
            std::sync::Mutex::new(self.to_worker.clone()),
            self.seq.clone(),
        );
        let pending = self.pending_spans.clone();
        Arc::new(move |r: Received| {
            if r.is_empty() {
                // Only asks whether the worker is still there: an empty batch merges nothing.
                return tx
                    .lock()
                    .is_ok_and(|tx| tx.send(ToWorker::Batch(0, Box::default())).is_ok());
            }
            while pending.load(Ordering::Relaxed) + r.spans > MAX_PENDING_SPANS
                && pending.load(Ordering::Relaxed) > 0
            {
                std::thread::sleep(Duration::from_millis(20));
            }
            pending.fetch_add(r.spans, Ordering::Relaxed);
            send(&tx, &seq, r)
        })
    }

    /// Spans waiting: received and not on screen yet.
    pub fn waiting(&self) -> usize {
        self.pending_spans.load(Ordering::Relaxed)
            + self.held.as_ref().map_or(0, |m| m.grown.arrived)
    }

    /// Spans received by every origin.
    fn received(&self) -> u64 {
        self.origins.iter().map(|o| o.stats.spans()).sum()
    }
}

fn send(tx: &std::sync::Mutex<mpsc::Sender<ToWorker>>, seq: &AtomicU64, r: Received) -> bool {
    let n = seq.fetch_add(1, Ordering::Relaxed) + 1;
    tx.lock()
        .is_ok_and(|tx| tx.send(ToWorker::Batch(n, Box::new(r.batch))).is_ok())
}

/// The merge worker: gathers what arrives for at least [`MERGE_EVERY`] after the
/// last merge, grows its set, and sends the UI a copy.
fn worker(
    rx: &mpsc::Receiver<ToWorker>,
    tx: &mpsc::Sender<Merged>,
    prices: &PriceTable,
    max_spans: usize,
    wake: &(dyn Fn() + Send + Sync),
    pending: &AtomicUsize,
) {
    let mut master = TraceSet::default();
    let mut last = Instant::now() - MERGE_EVERY;
    let mut live_data = false;
    loop {
        let Ok(first) = rx.recv() else { return };
        let (mut batches, mut seq, mut flush, mut reindexed) = (Vec::new(), 0u64, false, false);
        let mut take = |m: ToWorker,
                        batches: &mut Vec<Batch>,
                        master: &mut TraceSet,
                        flush: &mut bool| match m {
            ToWorker::Batch(n, b) => {
                seq = seq.max(n);
                if !(b.spans.is_empty() && b.log_events.is_empty() && b.warnings.is_empty()) {
                    batches.push(*b);
                }
            }
            ToWorker::Seed(set) => {
                if master.sources.is_empty() {
                    master.sources = set.sources.clone();
                }
                reindexed |= live_data || !master.spans.is_empty();
                batches.push(set.into_batch());
            }
            ToWorker::Flush => *flush = true,
            ToWorker::Drop(set) => drop(set),
        };
        take(first, &mut batches, &mut master, &mut flush);
        loop {
            if flush {
                while let Ok(m) = rx.try_recv() {
                    take(m, &mut batches, &mut master, &mut flush);
                }
                break;
            }
            let now = Instant::now();
            let deadline = last + MERGE_EVERY;
            if batches.is_empty() {
                // Nothing to merge yet: wait for something (or a flush) without a clock.
                match rx.recv() {
                    Ok(m) => take(m, &mut batches, &mut master, &mut flush),
                    Err(_) => return,
                }
                continue;
            }
            if now >= deadline {
                while let Ok(m) = rx.try_recv() {
                    take(m, &mut batches, &mut master, &mut flush);
                }
                break;
            }
            match rx.recv_timeout(deadline - now) {
                Ok(m) => take(m, &mut batches, &mut master, &mut flush),
                Err(mpsc::RecvTimeoutError::Timeout) => {}
                Err(mpsc::RecvTimeoutError::Disconnected) => return,
            }
        }
        if batches.is_empty() && !flush {
            continue;
        }
        let started = Instant::now();
        live_data |= !batches.is_empty();
        let grown = grow(std::mem::take(&mut master), batches, prices, max_spans);
        master = grown.set;
        let merged = Merged {
            grown: Grown {
                set: master.clone(),
                evicted: grown.evicted,
                arrived: grown.arrived,
            },
            seq,
            reindexed: reindexed || grown.evicted > 0,
            took: started.elapsed(),
        };
        pending.fetch_sub(
            merged.grown.arrived.min(pending.load(Ordering::Relaxed)),
            Ordering::Relaxed,
        );
        last = Instant::now();
        if tx.send(merged).is_err() {
            return;
        }
        wake();
    }
}

impl App {
    /// Arrived spans (not through a sink: tests and the bench), for the next merge.
    pub fn live_received(&mut self, r: Received) {
        if let Some(l) = &self.live {
            l.pending_spans.fetch_add(r.spans, Ordering::Relaxed);
            let n = l.seq.fetch_add(1, Ordering::Relaxed) + 1;
            let _ = l.to_worker.send(ToWorker::Batch(n, Box::new(r.batch)));
        }
    }

    /// The set loaded from named sources joins the live set (the worker grows from it).
    pub(super) fn live_seed(&mut self, set: &TraceSet) {
        if let Some(l) = &self.live {
            let _ = l.to_worker.send(ToWorker::Seed(Box::new(set.clone())));
        }
    }

    /// On the clock (and when the worker wakes the loop): takes a finished merge
    /// (held while paused) and updates the receive rate. Returns whether the
    /// screen changed.
    pub fn live_tick(&mut self) -> bool {
        let Some(l) = &mut self.live else {
            return false;
        };
        let now = Instant::now();
        let elapsed = now.duration_since(l.rate_mark.0).as_secs_f64();
        let mut changed = false;
        if elapsed >= 1.0 {
            let spans = l.received();
            let rate = spans.saturating_sub(l.rate_mark.1) as f64 / elapsed;
            changed |= (rate - l.rate).abs() > f64::EPSILON;
            l.rate = rate;
            l.rate_mark = (now, spans);
        }
        let mut latest: Option<Merged> = l.held.take();
        while let Ok(m) = l.from_worker.try_recv() {
            latest = Some(match latest.take() {
                Some(prev) => combine(prev, m, &l.to_worker),
                None => m,
            });
        }
        let Some(m) = latest else {
            return changed;
        };
        if l.paused {
            l.held = Some(m);
            return true;
        }
        self.live_apply(m);
        true
    }

    /// Pause (or resume) the live view: arrivals wait meanwhile.
    pub fn toggle_pause(&mut self) {
        let Some(l) = &mut self.live else {
            self.shared.status =
                "pause: only a live view (--listen, a pipe, --follow) can pause".into();
            return;
        };
        l.paused = !l.paused;
        self.shared.status = if l.paused {
            "paused: spans are still received and shown when you resume (P)".into()
        } else {
            "resumed".into()
        };
        if !l.paused {
            self.live_tick();
        }
    }

    /// Merges everything received so far now and shows it (waits for the worker):
    /// what tests and a resume after a long pause need.
    pub fn live_merge(&mut self) {
        let Some(l) = &mut self.live else {
            return;
        };
        let target = l.seq.load(Ordering::Relaxed);
        if l.to_worker.send(ToWorker::Flush).is_err() {
            return;
        }
        let mut latest = l.held.take();
        loop {
            let Ok(m) = l.from_worker.recv_timeout(Duration::from_secs(120)) else {
                break;
            };
            let done = m.seq >= target;
            latest = Some(match latest.take() {
                Some(prev) => combine(prev, m, &l.to_worker),
                None => m,
            });
            if done {
                break;
            }
        }
        if let Some(m) = latest {
            self.live_apply(m);
        }
    }

    /// Swaps a finished merge in, keeping every screen's place.
    fn live_apply(&mut self, m: Merged) {
        let key = match self.screens.first() {
            Some(Screen::List(list)) => list.selection_key(&self.shared.set),
            _ => None,
        };
        let before = self.shared.set.traces.len();
        let Merged {
            grown,
            reindexed,
            took,
            ..
        } = m;
        let shown = self.shown(grown.set);
        let old = std::mem::replace(&mut self.shared.set, shown);
        let grown_traces = self.shared.set.traces.len().saturating_sub(before);
        if let Some(l) = &mut self.live {
            let _ = l.to_worker.send(ToWorker::Drop(Box::new(old)));
            l.evicted_traces += grown.evicted as u64;
            l.merges += 1;
            l.last_merge = took;
        }
        if reindexed {
            // Indices moved: back to the list, which keeps its selection by id.
            self.screens.truncate(1);
            if grown.evicted > 0 {
                self.shared.status = format!(
                    "evicted the {} oldest traces (over --max-spans {})",
                    grown.evicted,
                    self.live.as_ref().map_or(0, |l| l.max_spans)
                );
            }
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
            l.unseen = if at_top { 0 } else { l.unseen + grown_traces };
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

/// Two merges the UI had not shown yet: the newer one, with the older one's
/// evictions and arrivals counted (its set goes back to be dropped).
fn combine(older: Merged, newer: Merged, to_worker: &mpsc::Sender<ToWorker>) -> Merged {
    let Merged {
        grown: old,
        reindexed,
        ..
    } = older;
    let _ = to_worker.send(ToWorker::Drop(Box::new(old.set)));
    Merged {
        grown: Grown {
            evicted: newer.grown.evicted + old.evicted,
            arrived: newer.grown.arrived + old.arrived,
            set: newer.grown.set,
        },
        reindexed: newer.reindexed || reindexed,
        ..newer
    }
}
