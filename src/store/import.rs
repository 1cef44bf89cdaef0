//! `agtrace import`: loads any source agtrace reads and writes it into a store, one
//! transaction per batch of traces. A span is identified by trace and span id, so
//! importing the same data twice changes nothing, and a rerun after an interrupted or
//! failed import continues where it stopped (committed batches stay; the open one
//! rolls back). Traces that already have spans in the store are merged with them.

use super::{StoreError, schema};
use crate::model::TraceSet;
use crate::source::{Input, LoadOptions};
use rusqlite::{Connection, OpenFlags};
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
    conn.pragma_update(None, "journal_mode", "WAL").map_err(e)?;
    conn.pragma_update(None, "synchronous", "NORMAL")
        .map_err(e)?;
    let tables: i64 = conn
        .query_row("SELECT count(*) FROM sqlite_master", [], |r| r.get(0))
        .map_err(e)?;
    let tx = conn.unchecked_transaction().map_err(e)?;
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

/// Imports `inputs` into the store at `db` (created if needed). `progress` is called
/// after each committed batch with (spans done, spans total). The inputs are read
/// before the store is touched, so an input that cannot be read leaves no store
/// behind; a store this import created is removed again if the import fails.
pub fn import(
    db: &Path,
    inputs: &[Input],
    opts: &LoadOptions,
    progress: impl FnMut(u64, u64),
) -> Result<ImportReport, StoreError> {
    check_target(db)?;
    let existed = db.exists();
    let started = std::time::Instant::now();
    // Other stores among the inputs are read as sources too.
    let opts = LoadOptions {
        stores: Some(|path, source| super::load(path, source).map_err(|e| Box::new(e) as _)),
        ..opts.clone()
    };
    let set = crate::source::load(inputs, &opts).map_err(|x| StoreError::Load(Box::new(x)))?;
    let r = write_set(db, set, &opts, started, progress);
    if r.is_err() && !existed {
        for suffix in ["", "-wal", "-shm"] {
            let mut p = db.as_os_str().to_owned();
            p.push(suffix);
            let _ = std::fs::remove_file(std::path::PathBuf::from(p));
        }
    }
    r
}

/// Writes an already derived set (annotated, findings derived) into the store at
/// `db` in its own transactions, merging traces the store already holds: how a live
/// receiver writes batch after batch. A failed write leaves the store as it was.
pub fn import_set(
    db: &Path,
    set: TraceSet,
    opts: &LoadOptions,
) -> Result<ImportReport, StoreError> {
    check_target(db)?;
    write_set(db, set, opts, std::time::Instant::now(), |_, _| {})
}

/// Writes a loaded set into the store at `db`, merging traces it already holds.
fn write_set(
    db: &Path,
    mut set: TraceSet,
    opts: &LoadOptions,
    started: std::time::Instant,
    mut progress: impl FnMut(u64, u64),
) -> Result<ImportReport, StoreError> {
    let conn = open_for_write(db, &opts.prices)?;
    let e = |x| StoreError::sqlite(db, x);
    let mut report = ImportReport {
        spans_read: set.spans.len() as u64,
        warnings: set.warnings.iter().map(|w| w.to_string()).collect(),
        ..ImportReport::default()
    };
    // Traces already in the store are merged with their stored spans, so aggregates
    // cover every span of the trace.
    let ids: Vec<String> = set.traces.iter().map(|t| t.id.to_string()).collect();
    let existing = super::read::existing_traces(&conn, &ids).map_err(e)?;
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
        progress(b.spans_done, b.spans_total);
    });
    if let Some(c) = checkpointer {
        c.finish();
    }
    written.map_err(e)?;
    report
        .timings
        .push(("write", started.elapsed().as_secs_f64()));
    let started = std::time::Instant::now();
    let _ = conn.pragma_update(None, "wal_checkpoint", "TRUNCATE");
    report
        .timings
        .push(("checkpoint", started.elapsed().as_secs_f64()));
    Ok(report)
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
