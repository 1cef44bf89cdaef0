//! The explorer fed live (`open --listen`, a pipe read as it arrives, `--follow`).
//! What arrives goes straight to a merge worker on its own thread, which grows a set
//! a few times a second ([`crate::live::grow`]) and hands it to the UI; the UI only
//! swaps it in and refreshes the screens where they are, so keys stay quick however
//! large the set: the list keeps its selection (a "N new" count when it is scrolled
//! away from the top), an open trace grows with its selection and folds, late spans
//! fix up orphans. Past the span cap the oldest traces are evicted whole and counted.
//! `P` holds what the worker finishes until resumed.
//!
//! Sets are never copied: two generations circulate. The UI gives back the set it
//! stops showing, and the worker grows that one by the batches of the generation in
//! between (kept for this) plus the new ones. Growth is deterministic, so the result
//! keeps every index of the set the UI shows.

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
    /// Arrived spans, with their sequence number and what they weigh in the
    /// waiting count ([`Received::weight`]).
    Batch(u64, Box<Batch>, usize),
    /// The set the UI shows when it goes live (generation 0): the first base.
    Seed(Box<TraceSet>),
    /// Merge now, even if it is not time yet.
    Flush,
    /// A set of this generation the UI no longer shows: the next base.
    Return(u64, Box<TraceSet>),
    /// A set the UI no longer shows and the worker cannot use, dropped here rather
    /// than on the UI thread.
    Drop(Box<TraceSet>),
}

/// A merge the worker finished.
struct Merged {
    /// Its generation.
    generation: u64,
    /// The grown set; none when a flush found nothing new.
    grown: Option<Grown>,
    /// The last batch it includes.
    seq: u64,
    /// Trace indices moved (eviction): views holding trace indices start again from
    /// the list.
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
    /// The generation on screen (none before the seed).
    shown: Option<u64>,
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
    /// Merges applied.
    pub merges: u64,
    /// Worker time of the last merge.
    pub last_merge: Duration,
    /// Spans per second, over the last few seconds.
    pub rate: f64,
    rate_mark: (Instant, u64),
}

impl LiveState {
    /// Starts the merge worker (it merges once the app goes live, see
    /// [`App::go_live`]); `wake` tells the event loop a merge is ready.
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
                .spawn(move || {
                    Worker::new(&tx, &prices, max_spans, &*wake, &pending).run(&rx);
                });
        }
        LiveState {
            origins: Vec::new(),
            pending_spans,
            seq: Arc::new(AtomicU64::new(0)),
            to_worker,
            from_worker,
            shown: None,
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
                    .is_ok_and(|tx| tx.send(ToWorker::Batch(0, Box::default(), 0)).is_ok());
            }
            let items = r.weight();
            while pending.load(Ordering::Relaxed) + items > MAX_PENDING_SPANS
                && pending.load(Ordering::Relaxed) > 0
            {
                std::thread::sleep(Duration::from_millis(20));
            }
            pending.fetch_add(items, Ordering::Relaxed);
            send(&tx, &seq, r)
        })
    }

    /// Spans waiting: received and not on screen yet.
    pub fn waiting(&self) -> usize {
        self.pending_spans.load(Ordering::Relaxed)
            + self
                .held
                .as_ref()
                .and_then(|m| m.grown.as_ref())
                .map_or(0, |g| g.arrived)
    }

    /// Spans received by every origin.
    fn received(&self) -> u64 {
        self.origins.iter().map(|o| o.stats.spans()).sum()
    }

    /// Gives a set the UI stopped showing back to the worker.
    fn give_back(&self, generation: Option<u64>, set: TraceSet) {
        let msg = match generation {
            Some(g) => ToWorker::Return(g, Box::new(set)),
            None => ToWorker::Drop(Box::new(set)),
        };
        let _ = self.to_worker.send(msg);
    }
}

fn send(tx: &std::sync::Mutex<mpsc::Sender<ToWorker>>, seq: &AtomicU64, r: Received) -> bool {
    let n = seq.fetch_add(1, Ordering::Relaxed) + 1;
    let weight = r.weight();
    tx.lock().is_ok_and(|tx| {
        tx.send(ToWorker::Batch(n, Box::new(r.batch), weight))
            .is_ok()
    })
}

/// The merge worker's state.
struct Worker<'a> {
    tx: &'a mpsc::Sender<Merged>,
    prices: &'a PriceTable,
    max_spans: usize,
    wake: &'a (dyn Fn() + Send + Sync),
    pending: &'a AtomicUsize,
    /// The set to grow next, and its generation (none while the UI holds both).
    base: Option<(u64, TraceSet)>,
    /// The batches (and evictions) of each generation after the base's, to replay.
    log: Vec<(u64, Vec<Batch>, usize)>,
    /// The last generation sent.
    latest: u64,
    /// Arrived, not merged yet.
    batches: Vec<Batch>,
    /// What they weigh in the waiting count.
    weight: usize,
    /// The last batch taken in.
    seq: u64,
    flush: bool,
    last: Instant,
}

impl<'a> Worker<'a> {
    fn new(
        tx: &'a mpsc::Sender<Merged>,
        prices: &'a PriceTable,
        max_spans: usize,
        wake: &'a (dyn Fn() + Send + Sync),
        pending: &'a AtomicUsize,
    ) -> Worker<'a> {
        Worker {
            tx,
            prices,
            max_spans,
            wake,
            pending,
            base: None,
            log: Vec::new(),
            latest: 0,
            batches: Vec::new(),
            weight: 0,
            seq: 0,
            flush: false,
            last: Instant::now() - MERGE_EVERY,
        }
    }

    /// Gathers what arrives for at least [`MERGE_EVERY`] after the last merge, then
    /// grows the base (once the UI has given one back) and sends the result.
    fn run(mut self, rx: &mpsc::Receiver<ToWorker>) {
        loop {
            let ready = self.base.is_some() && !self.batches.is_empty();
            let due = self.last + MERGE_EVERY;
            let msg = if ready && !self.flush {
                let now = Instant::now();
                if now >= due {
                    rx.try_recv().ok()
                } else {
                    match rx.recv_timeout(due - now) {
                        Ok(m) => Some(m),
                        Err(mpsc::RecvTimeoutError::Timeout) => None,
                        Err(mpsc::RecvTimeoutError::Disconnected) => return,
                    }
                }
            } else if ready {
                rx.try_recv().ok()
            } else {
                match rx.recv() {
                    Ok(m) => Some(m),
                    Err(_) => return,
                }
            };
            if let Some(m) = msg {
                self.take(m);
                // What else is there joins this merge.
                while let Ok(m) = rx.try_recv() {
                    self.take(m);
                }
            }
            if self.flush && self.batches.is_empty() && self.base.is_some() {
                // Nothing new since the last merge: say so without rebuilding.
                self.flush = false;
                let nothing = Merged {
                    generation: self.latest,
                    grown: None,
                    seq: self.seq,
                    reindexed: false,
                    took: Duration::ZERO,
                };
                if self.tx.send(nothing).is_err() {
                    return;
                }
                continue;
            }
            let ready = self.base.is_some() && !self.batches.is_empty();
            if ready && (self.flush || Instant::now() >= self.last + MERGE_EVERY) {
                self.flush = false;
                if !self.merge() {
                    return;
                }
            }
        }
    }

    fn take(&mut self, m: ToWorker) {
        match m {
            ToWorker::Batch(n, b, weight) => {
                self.seq = self.seq.max(n);
                self.weight += weight;
                if !(b.spans.is_empty() && b.log_events.is_empty() && b.warnings.is_empty()) {
                    self.batches.push(*b);
                }
            }
            ToWorker::Seed(set) => {
                self.base = Some((0, *set));
                self.latest = 0;
                self.log.clear();
            }
            ToWorker::Flush => self.flush = true,
            ToWorker::Return(g, set) => {
                if self.base.as_ref().is_none_or(|(b, _)| *b < g) {
                    self.base = Some((g, *set));
                    self.log.retain(|(x, _, _)| *x > g);
                }
            }
            ToWorker::Drop(set) => drop(set),
        }
    }

    /// Grows the base by the generations after it and the new batches; `false` when
    /// the UI is gone.
    fn merge(&mut self) -> bool {
        let Some((generation, base)) = self.base.take() else {
            return true;
        };
        let started = Instant::now();
        let fresh = std::mem::take(&mut self.batches);
        let arrived: usize = fresh.iter().map(|b| b.spans.len()).sum();
        // What the sinks counted waiting for these batches.
        let items = std::mem::take(&mut self.weight);
        let mut replayed_evictions = 0;
        let mut all: Vec<Batch> = Vec::new();
        for (g, batches, evicted) in &self.log {
            if *g > generation {
                all.extend(batches.iter().cloned());
                replayed_evictions += evicted;
            }
        }
        let keep = fresh.clone();
        all.extend(fresh);
        let grown = grow(base, all, self.prices, self.max_spans);
        let evicted = grown.evicted.saturating_sub(replayed_evictions);
        self.latest += 1;
        self.log.push((self.latest, keep, evicted));
        self.pending.fetch_sub(
            items.min(self.pending.load(Ordering::Relaxed)),
            Ordering::Relaxed,
        );
        let merged = Merged {
            generation: self.latest,
            reindexed: grown.evicted > 0,
            grown: Some(Grown {
                set: grown.set,
                evicted,
                arrived,
            }),
            seq: self.seq,
            took: started.elapsed(),
        };
        self.last = Instant::now();
        if self.tx.send(merged).is_err() {
            return false;
        }
        (self.wake)();
        true
    }
}

impl App {
    /// Goes live: the set on screen is generation 0, what `live` receives grows it.
    pub fn go_live(&mut self, live: LiveState) {
        self.live = Some(live);
        self.live_seed();
    }

    /// The set on screen becomes the worker's first base, once (the explorer goes
    /// live when its named sources have loaded; what arrives meanwhile waits).
    pub(super) fn live_seed(&mut self) {
        let Some(l) = &mut self.live else {
            return;
        };
        if l.shown.is_some() {
            return;
        }
        let base = self.plain.as_ref().unwrap_or(&self.shared.set).clone();
        let _ = l.to_worker.send(ToWorker::Seed(Box::new(base)));
        l.shown = Some(0);
    }

    /// Arrived spans (not through a sink: tests and the bench), for the next merge.
    pub fn live_received(&mut self, r: Received) {
        if let Some(l) = &self.live {
            let weight = r.weight();
            l.pending_spans.fetch_add(weight, Ordering::Relaxed);
            let n = l.seq.fetch_add(1, Ordering::Relaxed) + 1;
            let _ = l
                .to_worker
                .send(ToWorker::Batch(n, Box::new(r.batch), weight));
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
                Some(prev) => combine(prev, m, l),
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
    /// what tests and scripted runs need. Each merge that comes is shown at once, so
    /// the set it replaces goes back to the worker, which needs it for the next.
    pub fn live_merge(&mut self) {
        let Some(l) = &mut self.live else {
            return;
        };
        let target = l.seq.load(Ordering::Relaxed);
        if l.to_worker.send(ToWorker::Flush).is_err() {
            return;
        }
        if let Some(m) = l.held.take() {
            self.live_apply(m);
        }
        loop {
            let Some(l) = &self.live else { return };
            let Ok(m) = l.from_worker.recv_timeout(Duration::from_secs(120)) else {
                return;
            };
            let done = m.seq >= target;
            self.live_apply(m);
            if done {
                return;
            }
            // A batch sent after the flush: ask again.
            if let Some(l) = &self.live {
                let _ = l.to_worker.send(ToWorker::Flush);
            }
        }
    }

    /// Swaps a finished merge in, keeping every screen's place; the set it replaces
    /// goes back to the worker.
    fn live_apply(&mut self, m: Merged) {
        let Merged {
            generation,
            grown,
            reindexed,
            took,
            ..
        } = m;
        let Some(grown) = grown else {
            return;
        };
        let key = match self.screens.first() {
            Some(Screen::List(list)) => list.selection_key(&self.shared.set),
            _ => None,
        };
        let before = self.shared.set.traces.len();
        // In privacy mode the screen shows a redacted copy; the worker's own set is
        // the plain one.
        let previous_plain = self.plain.take();
        let shown = self.shown(grown.set);
        let old = std::mem::replace(&mut self.shared.set, shown);
        let grown_traces = self.shared.set.traces.len().saturating_sub(before);
        if let Some(l) = &mut self.live {
            match previous_plain {
                Some(plain) => {
                    l.give_back(l.shown, plain);
                    l.give_back(None, old);
                }
                None => l.give_back(l.shown, old),
            }
            l.shown = Some(generation);
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
/// evictions and arrivals counted (its set goes back to the worker).
fn combine(older: Merged, newer: Merged, live: &LiveState) -> Merged {
    let reindexed = older.reindexed || newer.reindexed;
    let newer_grew = newer.grown.is_some();
    let grown = match (older.grown, newer.grown) {
        (Some(old), Some(new)) => {
            live.give_back(Some(older.generation), old.set);
            Some(Grown {
                evicted: new.evicted + old.evicted,
                arrived: new.arrived + old.arrived,
                set: new.set,
            })
        }
        (old, new) => new.or(old),
    };
    let generation = if grown.is_some() && !newer_grew {
        older.generation
    } else {
        newer.generation
    };
    Merged {
        generation,
        grown,
        reindexed,
        ..newer
    }
}
