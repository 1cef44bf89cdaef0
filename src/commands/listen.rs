//! The receiver's command-line side: listen options from the flags (with the
//! non-loopback warning), and `import --listen`, a local OTLP sink into a store.

use super::{CommandError, load_options};
use crate::cli::ImportArgs;
use crate::live::{ListenOptions, Received, Taken};
use crate::model::{Batch, TraceSet};
use std::io::{self, Write};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, mpsc};
use std::time::Duration;

/// Spans and log records beyond which the requests waiting are split over commits.
const BATCH_SPANS: usize = 50_000;
/// Spans and log records waiting to be written beyond which the receiver answers
/// 503 (retry later).
const MAX_WAITING: usize = 1_000_000;

/// Listen options from `--listen ADDR`, `--grpc-listen` and the token flag (or
/// AGTRACE_LISTEN_TOKEN); warns on stderr when an address is not loopback.
pub(super) fn options(
    addr: &str,
    grpc: Option<&str>,
    token: Option<&str>,
) -> Result<ListenOptions, CommandError> {
    let http = crate::live::parse_addr(addr).map_err(CommandError::Usage)?;
    let grpc = match grpc.map(str::trim) {
        Some("off") => None,
        Some(g) => Some(crate::live::parse_addr(g).map_err(CommandError::Usage)?),
        None => {
            let mut g = http;
            g.set_port(http.port().saturating_sub(1));
            Some(g)
        }
    };
    for a in std::iter::once(http).chain(grpc) {
        if !crate::live::is_loopback(&a) {
            let _ = writeln!(
                io::stderr(),
                "agtrace: warning: listening on {a}, not loopback: anyone who can reach it can send spans (--listen-token requires a bearer token)"
            );
        }
    }
    let mut opts = ListenOptions::new(http);
    opts.grpc_addr = grpc;
    opts.token = token
        .map(str::to_owned)
        .or_else(|| std::env::var("AGTRACE_LISTEN_TOKEN").ok())
        .filter(|t| !t.is_empty());
    Ok(opts)
}

/// A request waiting for the commit that stores it.
struct Job {
    batch: Batch,
    /// Its spans and log records (what backpressure counts).
    items: usize,
    /// Told whether it was stored: the request is answered then.
    ack: tokio::sync::oneshot::Sender<Result<(), String>>,
}

/// `agtrace import --listen ADDR --db STORE`: receives until SIGTERM, SIGINT or
/// SIGHUP. A request is answered only after the commit that stores it (group
/// commit: a request finding the writer idle is written at once, those arriving
/// during a commit share the next one); while the store
/// cannot be written, requests are answered 503 with `Retry-After` and the endpoint
/// stays up. At a stop, what was received is committed and answered before exit.
pub(super) fn import(a: &ImportArgs, addr: &str) -> Result<(), CommandError> {
    let opts = options(addr, a.grpc_listen.as_deref(), a.listen_token.as_deref())?;
    let load = load_options(&a.load)?;
    crate::store::import::check_intact(&a.db)?;
    let (tx, rx) = mpsc::channel::<Job>();
    let waiting = Arc::new(AtomicUsize::new(0));
    let take: crate::live::Take = {
        let (tx, waiting) = (std::sync::Mutex::new(tx), waiting.clone());
        Arc::new(move |r: Received| {
            if let Some(t) = crate::live::too_large(&r, MAX_WAITING) {
                return t;
            }
            let items = r.weight();
            if waiting.load(Ordering::Relaxed) + items > MAX_WAITING {
                return Taken::Behind;
            }
            waiting.fetch_add(items, Ordering::Relaxed);
            let (ack, answer) = tokio::sync::oneshot::channel();
            let job = Job {
                batch: r.batch,
                items,
                ack,
            };
            if tx.lock().is_ok_and(|tx| tx.send(job).is_ok()) {
                Taken::Later(answer)
            } else {
                waiting.fetch_sub(items, Ordering::Relaxed);
                Taken::Behind
            }
        })
    };
    let receiver = crate::live::listen_taking(opts, take)
        .map_err(|e| CommandError::Usage(format!("--listen: {e}")))?;
    let stop = super::stop_on_signals();
    let _ = writeln!(
        io::stderr(),
        "agtrace: receiving OTLP on {} (HTTP: POST /v1/traces, /v1/logs) into {}; each request is answered once it is stored; SIGTERM or Ctrl-C stops",
        receiver.endpoints(),
        a.db.display()
    );
    let mut writer = Writer {
        db: &a.db,
        load: &load,
        waiting: &waiting,
        jobs: Vec::new(),
        items: 0,
        carried: Vec::new(),
        dropped_logs: 0,
        written: 0,
        traces: 0,
        commits: 0,
        failed: 0,
        last_error: None,
    };
    loop {
        // The first request waits for nothing; those that came meanwhile join it.
        match rx.recv_timeout(Duration::from_millis(200)) {
            Ok(job) => writer.push(job),
            Err(mpsc::RecvTimeoutError::Timeout) => {}
            Err(mpsc::RecvTimeoutError::Disconnected) => break,
        }
        while writer.items < BATCH_SPANS
            && let Ok(job) = rx.try_recv()
        {
            writer.push(job);
        }
        let stopping = stop.load(Ordering::Relaxed);
        if stopping {
            // What is already queued belongs to the last commit.
            while let Ok(job) = rx.try_recv() {
                writer.push(job);
            }
        }
        if !writer.jobs.is_empty() || (stopping && !writer.carried.is_empty()) {
            writer.commit();
        }
        if stopping {
            break;
        }
    }
    // As `import FILE` says it: log records whose spans never came are not stored.
    let left = writer
        .carried
        .iter()
        .map(|b| b.log_events.len())
        .sum::<usize>()
        + writer.dropped_logs;
    if left > 0 {
        let _ = writeln!(
            io::stderr(),
            "agtrace: warning: {left} log records name spans that never arrived (not in any request or the store); not imported"
        );
    }
    let refused = if writer.failed > 0 {
        format!(
            "; {} requests answered 503 (retry) because the store could not be written",
            writer.failed
        )
    } else {
        String::new()
    };
    let _ = writeln!(
        io::stderr(),
        "agtrace: stopped: {} requests, {} spans and {} log records received and stored; {} new spans in {} trace writes over {} commits into {}{refused}",
        receiver.stats.requests.load(Ordering::Relaxed),
        receiver.stats.spans(),
        receiver.stats.log_records.load(Ordering::Relaxed),
        writer.written,
        writer.traces,
        writer.commits,
        a.db.display()
    );
    Ok(())
}

/// Gathers the requests of one commit and answers them after it.
struct Writer<'a> {
    db: &'a std::path::Path,
    load: &'a crate::source::LoadOptions,
    waiting: &'a AtomicUsize,
    jobs: Vec<Job>,
    /// Spans and log records in `jobs`.
    items: usize,
    /// Log records stored nowhere yet: their spans have not come (bounded).
    carried: Vec<Batch>,
    /// Log records given up on past that bound.
    dropped_logs: usize,
    written: u64,
    traces: u64,
    commits: u64,
    /// Requests answered 503 because their commit failed.
    failed: u64,
    /// The last commit error said on stderr (each new one is said once).
    last_error: Option<String>,
}

impl Writer<'_> {
    fn push(&mut self, job: Job) {
        self.items += job.items;
        self.jobs.push(job);
    }

    /// Writes the gathered requests in one import and answers each: stored, or
    /// refused for now (their data is not kept: the exporter sends it again).
    fn commit(&mut self) {
        let jobs = std::mem::take(&mut self.jobs);
        let items = std::mem::take(&mut self.items);
        // Log records carried from before go in again (kept should this fail).
        let mut batches: Vec<Batch> = self.carried.clone();
        let mut acks = Vec::with_capacity(jobs.len());
        for j in jobs {
            batches.push(j.batch);
            acks.push(j.ack);
        }
        let mut set = TraceSet::build(batches, vec!["OTLP/HTTP".into()], Vec::new());
        crate::semconv::annotate(&mut set, &self.load.prices);
        crate::analysis::findings::derive(&mut set);
        let outcome = crate::store::import_set(self.db, set, self.load);
        self.waiting.fetch_sub(
            items.min(self.waiting.load(Ordering::Relaxed)),
            Ordering::Relaxed,
        );
        match outcome {
            Ok((report, logs)) => {
                self.written += report.spans_written;
                self.traces += report.traces;
                self.commits += 1;
                // Log records that came before their spans wait for them (bounded).
                let keep = logs.len().min(crate::live::grow::MAX_UNATTACHED_LOGS);
                self.dropped_logs += logs.len() - keep;
                self.carried.clear();
                if !logs.is_empty() {
                    self.carried.push(Batch {
                        log_events: logs.into_iter().rev().take(keep).collect(),
                        ..Batch::default()
                    });
                }
                self.last_error = None;
                for ack in acks {
                    let _ = ack.send(Ok(()));
                }
            }
            Err(e) => {
                let why = e.to_string();
                if self.last_error.as_deref() != Some(why.as_str()) {
                    let _ = writeln!(
                        io::stderr(),
                        "agtrace: warning: {}; requests are answered 503 (retry) until it can be written",
                        crate::sanitize::sanitize(&why)
                    );
                }
                self.failed += acks.len() as u64;
                for ack in acks {
                    let _ = ack.send(Err(format!(
                        "the store could not be written ({why}); retry"
                    )));
                }
                self.last_error = Some(why);
            }
        }
    }
}
