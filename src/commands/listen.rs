//! The receiver's command-line side: listen options from the flags (with the
//! non-loopback warning), and `import --listen`, a local OTLP sink into a store.

use super::{CommandError, load_options};
use crate::cli::ImportArgs;
use crate::live::{ListenOptions, Received};
use crate::model::{Batch, TraceSet};
use std::io::{self, Write};
use std::sync::atomic::Ordering;
use std::sync::{Arc, mpsc};
use std::time::{Duration, Instant};

/// Spans gathered before a batch is written (or after [`FLUSH_EVERY`]).
const BATCH_SPANS: usize = 50_000;
/// The longest a received span waits before it is written.
const FLUSH_EVERY: Duration = Duration::from_secs(1);
/// Spans waiting to be written beyond which the receiver answers 503 (retry later).
const MAX_WAITING_SPANS: usize = 1_000_000;

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

/// `agtrace import --listen ADDR --db STORE`: receives until SIGTERM, SIGINT or
/// SIGHUP, writing a batch every second (or every 50,000 spans); the last batch is
/// flushed before it reports and exits.
pub(super) fn import(a: &ImportArgs, addr: &str) -> Result<(), CommandError> {
    let opts = options(addr, a.grpc_listen.as_deref(), a.listen_token.as_deref())?;
    let load = load_options(&a.load)?;
    crate::store::import::check_intact(&a.db)?;
    let (tx, rx) = mpsc::channel::<Received>();
    let waiting = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let tx = std::sync::Mutex::new(tx);
    let sink = crate::live::bounded_sink(waiting.clone(), MAX_WAITING_SPANS, move |r| {
        tx.lock().is_ok_and(|tx| tx.send(r).is_ok())
    });
    let receiver = crate::live::listen(opts, sink)
        .map_err(|e| CommandError::Usage(format!("--listen: {e}")))?;
    let stop = super::stop_on_signals();
    let _ = writeln!(
        io::stderr(),
        "agtrace: receiving OTLP on {} (HTTP: POST /v1/traces, /v1/logs) into {}; SIGTERM or Ctrl-C stops",
        receiver.endpoints(),
        a.db.display()
    );
    let mut pending: Vec<Batch> = Vec::new();
    let mut pending_spans = 0usize;
    let mut since = Instant::now();
    let (mut written, mut traces, mut batches) = (0u64, 0u64, 0u64);
    // Log records given up on: past the bound of those waiting for their spans.
    let mut dropped_logs = 0usize;
    let mut flush =
        |pending: &mut Vec<Batch>, pending_spans: &mut usize| -> Result<(), CommandError> {
            if pending.is_empty() {
                return Ok(());
            }
            let mut set = TraceSet::build(
                std::mem::take(pending),
                vec!["OTLP/HTTP".into()],
                Vec::new(),
            );
            crate::semconv::annotate(&mut set, &load.prices);
            crate::analysis::findings::derive(&mut set);
            let n = *pending_spans;
            *pending_spans = 0;
            let (report, logs) = crate::store::import_set(&a.db, set, &load)?;
            // Log records that came before their spans wait for them (bounded).
            let keep = logs.len().min(crate::live::grow::MAX_UNATTACHED_LOGS);
            dropped_logs += logs.len() - keep;
            if !logs.is_empty() {
                pending.push(Batch {
                    log_events: logs.into_iter().rev().take(keep).collect(),
                    ..Batch::default()
                });
            }
            waiting.fetch_sub(n.min(waiting.load(Ordering::Relaxed)), Ordering::Relaxed);
            written += report.spans_written;
            traces += report.traces;
            batches += 1;
            Ok(())
        };
    loop {
        match rx.recv_timeout(Duration::from_millis(200)) {
            Ok(r) => {
                pending_spans += r.spans;
                pending.push(r.batch);
            }
            Err(mpsc::RecvTimeoutError::Timeout) => {}
            Err(mpsc::RecvTimeoutError::Disconnected) => break,
        }
        let stopping = stop.load(Ordering::Relaxed);
        if stopping {
            // What is already queued belongs to the last batch.
            while let Ok(r) = rx.try_recv() {
                pending_spans += r.spans;
                pending.push(r.batch);
            }
        }
        if stopping || pending_spans >= BATCH_SPANS || since.elapsed() >= FLUSH_EVERY {
            flush(&mut pending, &mut pending_spans)?;
            since = Instant::now();
        }
        if stopping {
            break;
        }
    }
    // As `import FILE` says it: log records whose spans never came are not stored.
    let left: usize = pending.iter().map(|b| b.log_events.len()).sum::<usize>() + dropped_logs;
    if left > 0 {
        let _ = writeln!(
            io::stderr(),
            "agtrace: warning: {left} log records name spans that never arrived (not in any request or the store); not imported"
        );
    }
    let _ = writeln!(
        io::stderr(),
        "agtrace: stopped: {} requests, {} spans and {} log records received; {written} new spans in {traces} trace writes over {batches} batches into {}",
        receiver.stats.requests.load(Ordering::Relaxed),
        receiver.stats.spans(),
        receiver.stats.log_records.load(Ordering::Relaxed),
        a.db.display()
    );
    Ok(())
}
