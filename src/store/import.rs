//! `agtrace import`: loads any source agtrace reads and writes it into a store, one
//! transaction per batch of traces. A span is identified by trace and span id, so
//! importing the same data twice changes nothing, and a rerun after an interrupted or
//! failed import continues where it stopped (committed batches stay; the open one
//! rolls back). Traces that already have spans in the store are merged with them.

use super::{StoreError, schema};
use crate::model::TraceSet;
use crate::source::{Input, LoadOptions};
use rusqlite::{Connection, OpenFlags, TransactionBehavior};
use std::path::Path;

/// What an import did.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct ImportReport {
    /// Spans read from the inputs.
    pub spans_read: u64,
    /// Spans that were new to the store.
    pub spans_written: u64,
    /// Traces written or updated.
    pub traces: u64,
    /// Transactions committed.
    pub batches: u64,
    /// Load warnings, as text.
    pub warnings: Vec<String>,
    /// Seconds per phase: `load` (reading and deriving the inputs, merging with
    /// stored traces), `write` (all transactions), `checkpoint` (the final one).
    pub timings: Vec<(&'static str, f64)>,
}

pub use super::write::BATCH_SPANS;

fn open_for_write(
    db: &Path,
    prices: &crate::semconv::PriceTable,
) -> Result<Connection, StoreError> {
    let e = |x| StoreError::sqlite(db, x);
    check_target(db)?;
    let conn = Connection::open_with_flags(
        db,
        OpenFlags::SQLITE_OPEN_READ_WRITE
            | OpenFlags::SQLITE_OPEN_CREATE
            | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )
    .map_err(e)?;
    conn.busy_timeout(super::BUSY_TIMEOUT).map_err(e)?;
    // Only takes effect on a new, empty file: 16 KiB pages make the span b-tree and
    // its indexes shallower and halve the page writes of the default 4 KiB.
    conn.pragma_update(None, "page_size", 16384).map_err(e)?;
    // Switching to WAL takes the file's lock for a moment without SQLite's busy
    // handler: another import (or its integrity check) reading the new file gets in
    // the way now and then, so the switch is tried again until the busy timeout.
    let started = std::time::Instant::now();
    loop {
        match conn.pragma_update(None, "journal_mode", "WAL") {
            Err(rusqlite::Error::SqliteFailure(f, _))
                if f.code == rusqlite::ErrorCode::DatabaseBusy
                    && started.elapsed() < super::BUSY_TIMEOUT =>
            {
                std::thread::sleep(std::time::Duration::from_millis(20));
            }
            r => break r.map_err(e)?,
        }
    }
    conn.pragma_update(None, "synchronous", "NORMAL")
        .map_err(e)?;
    // The write lock first, then the look at what is there: of two imports into a
    // store that does not exist yet, the second waits for the first to create the
    // schema and finds it, instead of creating it again and failing.
    let tx =
        rusqlite::Transaction::new_unchecked(&conn, TransactionBehavior::Immediate).map_err(e)?;
    let tables: i64 = tx
        .query_row("SELECT count(*) FROM sqlite_master", [], |r| r.get(0))
        .map_err(e)?;
    if tables == 0 {
        schema::create(&tx).map_err(e)?;
    } else {
        let flavor = super::flavor_of(&tx, db).map_err(|err| match err {
            StoreError::NotAStore { path } => StoreError::NotImportTarget {
                path,
                what: "a SQLite database that is not an agtrace store",
            },
            other => other,
        })?;
        match flavor {
            super::Flavor::Agtrace => {
                let v: i64 = tx
                    .pragma_query_value(None, "user_version", |r| r.get(0))
                    .map_err(e)?;
                super::migrate::upgrade(&tx, v, prices).map_err(e)?;
            }
            super::Flavor::Phoenix => {
                return Err(StoreError::NotImportTarget {
                    path: db.display().to_string(),
                    what: "an Arize Phoenix store",
                });
            }
        }
    }
    tx.commit().map_err(e)?;
    Ok(conn)
}

/// Refuses to write into a store that fails SQLite's `quick_check` (a damaged page, an
/// index that lost rows): writing would spread the damage. Once per import or
/// receiver, before its first write (0.13 s per 145 MB of store, warm); a store that
/// does not exist yet passes.
pub fn check_intact(db: &Path) -> Result<(), StoreError> {
    if !db.exists() || std::fs::metadata(db).is_ok_and(|m| m.len() == 0) {
        return Ok(());
    }
    check_target(db)?;
    let damaged = |what: &str| StoreError::Corrupt {
        path: db.display().to_string(),
        message: format!(
            "{}; agtrace does not write into a damaged store — `sqlite3 {} .recover | sqlite3 recovered.db` keeps what can be read",
            crate::sanitize::sanitize(what),
            db.display()
        ),
    };
    let check = || -> rusqlite::Result<Vec<String>> {
        // Read-write (never create): a store left with its WAL by an import that was
        // killed needs the write side to be opened at all; nothing is written here.
        let conn = Connection::open_with_flags(db, OpenFlags::SQLITE_OPEN_READ_WRITE)?;
        conn.busy_timeout(super::BUSY_TIMEOUT)?;
        let mut st = conn.prepare("PRAGMA quick_check(5)")?;
        st.query_map([], |r| r.get::<_, String>(0))?.collect()
    };
    match check().map_err(|x| StoreError::sqlite(db, x)) {
        Ok(problems) if problems.len() == 1 && problems[0] == "ok" => Ok(()),
        Ok(problems) => Err(damaged(&problems.join("; "))),
        // SQLite's own "malformed" while checking is the same verdict.
        Err(StoreError::Corrupt { message, .. }) => Err(damaged(&message)),
        // Another import creating or writing the store: the import waits for it at
        // its first write; there is nothing to check yet.
        Err(StoreError::Busy { .. }) => Ok(()),
        Err(other) => Err(other),
    }
}

/// Refuses an existing non-empty file that is not SQLite, before anything is opened.
fn check_target(db: &Path) -> Result<(), StoreError> {
    if db.exists()
        && std::fs::metadata(db).is_ok_and(|m| m.len() > 0)
        && !crate::source::is_sqlite(db)
    {
        return Err(StoreError::NotImportTarget {
            path: db.display().to_string(),
            what: "not a SQLite database",
        });
    }
    Ok(())
}

/// Spans gathered from the inputs before they are written: what an import holds in
/// memory, however large its inputs.
pub const IMPORT_SPANS: usize = 200_000;

/// Imports `inputs` into the store at `db` (created if needed), piece by piece as
/// they decode: every [`IMPORT_SPANS`] spans are derived and written (traces that
/// continue in a later piece or file are merged with what is stored, log records
/// join spans stored earlier). `progress` is called after each committed batch with
/// (spans written or found, spans read so far). A single input that is not trace
/// data fails before the store is touched; a store this import created is removed
/// again if the import fails.
pub fn import(
    db: &Path,
    inputs: &[Input],
    opts: &LoadOptions,
    progress: impl FnMut(u64, u64),
) -> Result<ImportReport, StoreError> {
    import_in_pieces(db, inputs, opts, IMPORT_SPANS, progress)
}

/// [`import`], writing every `batch_spans` spans (tests use small batches to see
/// traces continue across them).
pub fn import_in_pieces(
    db: &Path,
    inputs: &[Input],
    opts: &LoadOptions,
    batch_spans: usize,
    progress: impl FnMut(u64, u64),
) -> Result<ImportReport, StoreError> {
    // A file that is not SQLite, or a damaged store, is refused before anything is
    // read (check_intact checks the target first).
    check_intact(db)?;
    let existed = db.exists();
    // Other stores among the inputs are read as sources too.
    let opts = LoadOptions {
        stores: Some(|path, source| super::load(path, source).map_err(|e| Box::new(e) as _)),
        ..opts.clone()
    };
    let mut im = Importer {
        db,
        opts: &opts,
        names: Vec::new(),
        pending: Vec::new(),
        pending_spans: 0,
        logs: Vec::new(),
        report: ImportReport::default(),
        batch_spans: batch_spans.max(1),
        progress,
        phase: std::time::Instant::now(),
        committed: 0,
    };
    let r = crate::source::for_each_piece(inputs, &opts, |name, index, d| im.add(name, index, d))
        .and_then(|warnings| {
            im.report
                .warnings
                .extend(warnings.iter().map(|w| w.to_string()));
            im.flush()?;
            let left = im.logs.len();
            if left > 0 {
                im.report.warnings.push(format!(
                    "{left} log records name spans that are not in the input or the store; not imported"
                ));
            }
            Ok(std::mem::take(&mut im.report))
        });
    // A store this import created goes again if it failed — unless another import
    // wrote into it meanwhile (two imports can start on a store that does not exist).
    if r.is_err() && !existed && holds_only(db, im.committed) {
        for suffix in ["", "-wal", "-shm"] {
            let mut p = db.as_os_str().to_owned();
            p.push(suffix);
            let _ = std::fs::remove_file(std::path::PathBuf::from(p));
        }
    }
    r
}

/// True when the store at `db` holds no more traces than the `ours` a failed import
/// wrote into it (or cannot be read as a store): what that import, having created the
/// store, may remove again without taking another import's traces with it.
fn holds_only(db: &Path, ours: u64) -> bool {
    let Ok(conn) = Connection::open_with_flags(db, OpenFlags::SQLITE_OPEN_READ_ONLY) else {
        return true;
    };
    let _ = conn.busy_timeout(super::BUSY_TIMEOUT);
    conn.query_row("SELECT count(*) FROM traces", [], |r| r.get::<_, i64>(0))
        .map_or(true, |n| u64::try_from(n).is_ok_and(|n| n <= ours))
}

/// An import in progress: the pieces gathered, what was written.
struct Importer<'a, P> {
    db: &'a Path,
    opts: &'a LoadOptions,
    names: Vec<String>,
    pending: Vec<crate::model::Batch>,
    pending_spans: usize,
    /// Log records whose spans were in neither the input so far nor the store.
    logs: Vec<crate::model::LogEvent>,
    report: ImportReport,
    batch_spans: usize,
    progress: P,
    phase: std::time::Instant,
    /// Traces written in committed transactions (merged ones counted again).
    committed: u64,
}

impl<P: FnMut(u64, u64)> Importer<'_, P> {
    fn add(&mut self, name: &str, index: u32, d: crate::decode::Decoded) -> Result<(), StoreError> {
        while self.names.len() <= index as usize {
            self.names.push(name.to_owned());
        }
        self.pending_spans += d.span_count();
        self.report.spans_read += d.span_count() as u64;
        self.pending.extend(d.batches);
        if self.pending_spans >= self.batch_spans {
            self.flush()?;
        }
        Ok(())
    }

    /// Derives and writes what was gathered.
    fn flush(&mut self) -> Result<(), StoreError> {
        if self.pending.is_empty() && self.logs.is_empty() {
            return Ok(());
        }
        let mut batches = std::mem::take(&mut self.pending);
        if !self.logs.is_empty() {
            batches.push(crate::model::Batch {
                log_events: std::mem::take(&mut self.logs),
                ..Default::default()
            });
        }
        let spans_before = self.report.spans_written;
        let read = self.report.spans_read;
        let mut set = TraceSet::build(batches, self.names.clone(), Vec::new());
        crate::semconv::annotate(&mut set, &self.opts.prices);
        crate::analysis::findings::derive(&mut set);
        let load = self.phase.elapsed().as_secs_f64();
        let progress = &mut self.progress;
        let committed = &mut self.committed;
        let (r, logs) = write_set(
            self.db,
            set,
            self.opts,
            std::time::Instant::now(),
            |done, _, traces| {
                *committed += traces;
                progress(spans_before + done, read)
            },
        )?;
        self.logs = logs;
        self.pending_spans = 0;
        let rep = &mut self.report;
        rep.spans_written += r.spans_written;
        rep.traces += r.traces;
        rep.batches += r.batches;
        rep.warnings.extend(r.warnings);
        add_timing(&mut rep.timings, "load", load);
        for (k, v) in r.timings {
            add_timing(&mut rep.timings, k, v);
        }
        self.phase = std::time::Instant::now();
        Ok(())
    }
}

fn add_timing(t: &mut Vec<(&'static str, f64)>, key: &'static str, v: f64) {
    match t.iter_mut().find(|(k, _)| *k == key) {
        Some((_, x)) => *x += v,
        None => t.push((key, v)),
    }
}

/// Writes an already derived set (annotated, findings derived) into the store at
/// `db` in its own transactions, merging traces the store already holds and
/// joining log records to spans stored earlier: how a live receiver writes batch
/// after batch. A failed write leaves the store as it was. Also returns the log
/// records whose spans are in neither (a live sink keeps them for spans to come).
pub fn import_set(
    db: &Path,
    set: TraceSet,
    opts: &LoadOptions,
) -> Result<(ImportReport, Vec<crate::model::LogEvent>), StoreError> {
    check_target(db)?;
    write_set(db, set, opts, std::time::Instant::now(), |_, _, _| {})
}

/// Writes a loaded set into the store at `db`, merging traces it already holds.
fn write_set(
    db: &Path,
    mut set: TraceSet,
    opts: &LoadOptions,
    started: std::time::Instant,
    mut progress: impl FnMut(u64, u64, u64),
) -> Result<(ImportReport, Vec<crate::model::LogEvent>), StoreError> {
    let conn = open_for_write(db, &opts.prices)?;
    let e = |x| StoreError::sqlite(db, x);
    let mut report = ImportReport {
        spans_read: set.spans.len() as u64,
        warnings: set.warnings.iter().map(|w| w.to_string()).collect(),
        ..ImportReport::default()
    };
    // Traces already in the store are merged with their stored spans, so aggregates
    // cover every span of the trace.
    let mut ids: Vec<String> = set.traces.iter().map(|t| t.id.to_string()).collect();
    // Log records whose spans are not in the set may name spans stored earlier.
    let known: rustc_hash::FxHashSet<crate::model::TraceId> =
        set.traces.iter().map(|t| t.id).collect();
    let mut asked = rustc_hash::FxHashSet::default();
    for l in &set.unattached_logs {
        if !known.contains(&l.trace_id) && asked.insert(l.trace_id) {
            ids.push(l.trace_id.to_string());
        }
    }
    let existing = super::read::existing_traces(&conn, &ids).map_err(e)?;
    // Traces stored before that this write does not touch: its traces' peers are
    // among them too (see `peers`).
    // Counted no further than that: a live receiver asks before every batch.
    let stored: i64 = conn
        .query_row(
            "SELECT count(*) FROM (SELECT 1 FROM traces LIMIT ?1)",
            [existing.len() as i64 + 1],
            |r| r.get(0),
        )
        .map_err(e)?;
    let others_stored = stored as usize > existing.len();
    if !existing.is_empty() {
        let stored =
            super::read::load_traces(&conn, &existing, set.sources.len() as u32).map_err(e)?;
        let names = set.sources.clone();
        let warnings = std::mem::take(&mut set.warnings);
        let mine = set.into_batch();
        let mut names2 = names;
        names2.push(db.display().to_string());
        set = TraceSet::build(vec![mine, stored], names2, warnings);
        crate::semconv::annotate(&mut set, &opts.prices);
        crate::analysis::findings::derive(&mut set);
    }
    let unattached = std::mem::take(&mut set.unattached_logs);
    report
        .timings
        .push(("load", started.elapsed().as_secs_f64()));
    let started = std::time::Instant::now();
    // A batch's dirty pages stay in memory until its commit instead of spilling
    // into the WAL half-written (the cache grows only as far as it is used).
    conn.pragma_update(None, "cache_size", -131_072)
        .map_err(e)?;
    // The checkpointer copies the WAL into the store on the other core; without it,
    // SQLite would do that on this thread after every commit.
    let checkpointer = Checkpointer::start(db);
    if checkpointer.is_some() {
        conn.pragma_update(None, "wal_autocheckpoint", 0)
            .map_err(e)?;
    }
    let written = super::write::write(&conn, &set, true, |b| {
        report.spans_written += b.spans_written;
        report.traces += b.traces;
        report.batches += 1;
        if let Some(c) = &checkpointer {
            // Now and then the writer waits for the checkpointer to catch up, so the
            // next transaction starts the WAL over instead of growing it.
            c.checkpoint(report.batches.is_multiple_of(WAL_RESTART_BATCHES));
        }
        progress(b.spans_done, b.spans_total, b.traces);
    });
    if let Some(c) = checkpointer {
        c.finish();
    }
    written.map_err(e)?;
    report
        .timings
        .push(("write", started.elapsed().as_secs_f64()));
    if others_stored {
        let started = std::time::Instant::now();
        let groups = super::peers::groups_of(&set);
        // The spans are stored either way: a failure here leaves the findings as this
        // write judged them, and says so.
        let judged = rusqlite::Transaction::new_unchecked(&conn, TransactionBehavior::Immediate)
            .and_then(|tx| {
                super::peers::judge_again(&tx, &groups, &opts.prices)?;
                tx.commit()
            });
        if let Err(err) = judged {
            report.warnings.push(format!(
                "runaways and slow steps were judged among this import only, not the whole store: {err}"
            ));
        }
        report
            .timings
            .push(("peers", started.elapsed().as_secs_f64()));
    }
    let started = std::time::Instant::now();
    let _ = conn.pragma_update(None, "wal_checkpoint", "TRUNCATE");
    report
        .timings
        .push(("checkpoint", started.elapsed().as_secs_f64()));
    Ok((report, unattached))
}

/// Batches between the writer's waits for the checkpointer (bounds the WAL to about
/// this many batches: 285 MB at most for 1M spans). Each wait costs the writer tens of
/// milliseconds (the checkpoint syncs the store file); 16 wrote 1M spans 6% faster
/// than 8, and never waiting was slower still, the WAL growing to the store's size.
const WAL_RESTART_BATCHES: u64 = 16;

/// A second connection that checkpoints the WAL while the import writes: SQLite lets
/// a passive checkpoint run beside a writer, so copying committed pages into the store
/// file overlaps with writing the next batch.
struct Checkpointer {
    wake: std::sync::mpsc::Sender<Option<std::sync::mpsc::SyncSender<()>>>,
    thread: std::thread::JoinHandle<()>,
}

impl Checkpointer {
    fn start(db: &Path) -> Option<Checkpointer> {
        let conn = Connection::open_with_flags(
            db,
            OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )
        .ok()?;
        let (wake, rx) = std::sync::mpsc::channel::<Option<std::sync::mpsc::SyncSender<()>>>();
        let thread = std::thread::Builder::new()
            .name("checkpoint".into())
            .spawn(move || {
                while let Ok(first) = rx.recv() {
                    let mut acks: Vec<_> = first.into_iter().collect();
                    while let Ok(more) = rx.try_recv() {
                        acks.extend(more);
                    }
                    // Best effort: the final checkpoint after the import completes it.
                    let _ = conn.query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |_| Ok(()));
                    for a in acks {
                        let _ = a.send(());
                    }
                }
            })
            .ok()?;
        Some(Checkpointer { wake, thread })
    }

    /// Asks for a checkpoint of everything committed so far; with `wait`, returns
    /// when it is done.
    fn checkpoint(&self, wait: bool) {
        if wait {
            let (ack, done) = std::sync::mpsc::sync_channel(1);
            if self.wake.send(Some(ack)).is_ok() {
                let _ = done.recv();
            }
        } else {
            let _ = self.wake.send(None);
        }
    }

    fn finish(self) {
        drop(self.wake);
        let _ = self.thread.join();
    }
}
