//! Background reads for the explorer (gitui's async jobs): a store is read on worker
//! threads and the results come back as messages, so key handling and drawing never
//! wait on I/O. Each kind of job keeps only its newest request: a result that is no
//! longer the latest of its kind is dropped, so a slow, stale read cannot overwrite a
//! newer one.

use crate::model::TraceSet;
use crate::query::filter::Filter;
use std::collections::HashMap;
use std::sync::{Arc, Condvar, Mutex};

/// What a job reads.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum JobKind {
    /// The newest traces of a store (the first screen).
    FirstPage,
    /// The whole trace list of a store.
    FullList,
    /// The trace list again, after `r`.
    Refresh,
    /// One trace's spans, to open it (the summary index it was asked for).
    OpenTrace,
    /// Every span of the store, for a span-level filter.
    AllSpans,
    /// The traces a `text:` filter matches, through the store's text index.
    TextSearch,
}

/// A finished job.
#[derive(Debug)]
pub struct JobDone {
    /// Its id (increasing).
    pub id: u64,
    /// Its kind.
    pub kind: JobKind,
    /// What the requester wants to know again when the result arrives.
    pub tag: u32,
    /// The set read, or why not.
    pub result: Result<TraceSet, String>,
}

/// How a store is read. The explorer uses SQLite; tests wrap it to make reads slow.
pub trait StoreReads: Send + Sync {
    /// The traces table (newest `n` first when given), no spans.
    fn summaries(&self, newest: Option<usize>) -> Result<TraceSet, String>;
    /// One trace's spans, fully derived.
    fn trace(&self, trace_id: &str) -> Result<TraceSet, String>;
    /// Every span of the store, fully derived.
    fn everything(&self) -> Result<TraceSet, String>;
    /// The rows (no spans) of the traces `filter` matches, found through the store's
    /// text index where it can narrow the filter, by reading every span otherwise.
    fn text_matches(&self, filter: &Filter) -> Result<TraceSet, String> {
        let set = self.everything()?;
        Ok(matching_rows(&set, filter))
    }
}

/// A set holding only the rows (no spans) of the traces of `set` that `filter` matches.
pub fn matching_rows(set: &TraceSet, filter: &Filter) -> TraceSet {
    let traces = crate::analysis::list::TraceListQuery::new(filter.clone())
        .run(set)
        .into_iter()
        .map(|t| set.traces[t as usize].clone())
        .collect();
    TraceSet {
        traces,
        ..TraceSet::default()
    }
}

/// An agtrace store file.
pub struct SqliteStore {
    /// Its path.
    pub path: std::path::PathBuf,
    /// Prices for steps that do not carry their cost.
    pub prices: Arc<crate::semconv::PriceTable>,
}

impl StoreReads for SqliteStore {
    fn summaries(&self, newest: Option<usize>) -> Result<TraceSet, String> {
        crate::store::load_summaries(&self.path, &Default::default(), newest)
            .map_err(|e| e.to_string())
    }

    fn trace(&self, trace_id: &str) -> Result<TraceSet, String> {
        crate::store::load_trace_by_id(&self.path, trace_id, &self.prices)
            .map_err(|e| e.to_string())
    }

    fn everything(&self) -> Result<TraceSet, String> {
        let opts = crate::source::LoadOptions {
            prices: self.prices.clone(),
            ..Default::default()
        };
        crate::input::load(&[crate::source::Input::Path(self.path.clone())], &opts)
            .map_err(|e| e.to_string())
    }

    fn text_matches(&self, filter: &Filter) -> Result<TraceSet, String> {
        let found = crate::store::text_candidates(&self.path, filter, &self.prices)
            .map_err(|e| e.to_string())?;
        let set = match found {
            Some(set) => set,
            None => self.everything()?,
        };
        Ok(matching_rows(&set, filter))
    }
}

/// Where finished jobs go: the event loop's channel, or a queue tests wait on.
pub type Deliver = Arc<dyn Fn(JobDone) + Send + Sync>;

/// Finished jobs waiting to be taken (when no event loop delivers them).
#[derive(Default)]
struct Inbox {
    done: Mutex<Vec<JobDone>>,
    ready: Condvar,
}

/// The running and finished jobs of one explorer.
pub struct Jobs {
    next: u64,
    latest: HashMap<JobKind, u64>,
    running: usize,
    deliver: Deliver,
    inbox: Arc<Inbox>,
    /// The store the jobs read.
    pub store: Option<Arc<dyn StoreReads>>,
}

impl Default for Jobs {
    fn default() -> Self {
        let inbox = Arc::new(Inbox::default());
        let to_inbox = inbox.clone();
        Jobs {
            next: 0,
            latest: HashMap::new(),
            running: 0,
            deliver: Arc::new(move |d| {
                if let Ok(mut q) = to_inbox.done.lock() {
                    q.push(d);
                }
                to_inbox.ready.notify_all();
            }),
            inbox,
            store: None,
        }
    }
}

impl Jobs {
    /// Jobs that deliver through `deliver` (the event loop's channel).
    pub fn with_deliver(deliver: Deliver) -> Jobs {
        Jobs {
            deliver,
            ..Jobs::default()
        }
    }

    /// Starts a read of the store on a worker thread. Returns false without a store.
    pub fn start(
        &mut self,
        kind: JobKind,
        tag: u32,
        read: impl FnOnce(&dyn StoreReads) -> Result<TraceSet, String> + Send + 'static,
    ) -> bool {
        let Some(store) = self.store.clone() else {
            return false;
        };
        self.spawn(kind, tag, move || read(store.as_ref()))
    }

    /// Starts any read on a worker thread (a reload of the sources, a backend query).
    pub fn spawn(
        &mut self,
        kind: JobKind,
        tag: u32,
        read: impl FnOnce() -> Result<TraceSet, String> + Send + 'static,
    ) -> bool {
        self.next += 1;
        let id = self.next;
        self.latest.insert(kind.clone(), id);
        self.running += 1;
        let deliver = self.deliver.clone();
        let spawned = std::thread::Builder::new()
            .name(format!("agtrace-job-{id}"))
            .spawn(move || {
                let result = read();
                deliver(JobDone {
                    id,
                    kind,
                    tag,
                    result,
                });
            });
        if spawned.is_err() {
            self.running -= 1;
        }
        spawned.is_ok()
    }

    /// Takes a finished job in: true when it is the newest of its kind (apply it),
    /// false when a newer request replaced it (drop it).
    pub fn accept(&mut self, done: &JobDone) -> bool {
        self.running = self.running.saturating_sub(1);
        if self.latest.get(&done.kind) == Some(&done.id) {
            self.latest.remove(&done.kind);
            true
        } else {
            false
        }
    }

    /// Forgets the pending request of a kind (its result will be dropped).
    pub fn cancel(&mut self, kind: &JobKind) {
        self.latest.remove(kind);
    }

    /// True while a request of this kind waits for its result.
    pub fn pending(&self, kind: &JobKind) -> bool {
        self.latest.contains_key(kind)
    }

    /// True while any request waits for its result.
    pub fn busy(&self) -> bool {
        !self.latest.is_empty()
    }

    /// Jobs started and not yet taken in.
    pub fn running(&self) -> usize {
        self.running
    }

    /// Finished jobs in the inbox (only when no event loop delivers them), waiting up
    /// to `timeout` for at least one when some are running.
    pub fn take_finished(&self, timeout: std::time::Duration) -> Vec<JobDone> {
        let Ok(mut q) = self.inbox.done.lock() else {
            return Vec::new();
        };
        if q.is_empty() && self.running > 0 {
            q = match self.inbox.ready.wait_timeout(q, timeout) {
                Ok((q, _)) => q,
                Err(_) => return Vec::new(),
            };
        }
        std::mem::take(&mut *q)
    }
}
