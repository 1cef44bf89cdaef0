//! SQLite trace stores: `agtrace import` writes them; any command reads them as a
//! source. Also reads Arize Phoenix's local store. Opening never writes: a store is
//! opened read-only unless importing.

mod codec;
pub mod columns;
pub mod import;
mod migrate;
mod peers;
mod phoenix;
mod read;
pub mod schema;
mod search;
mod static_insert;
mod text;
mod write;

pub use import::{ImportReport, import, import_set};
pub use read::{load, load_summaries, load_trace_by_id, load_traces_by_id, session_trace_ids};
pub use search::text_candidates;

/// True when every input is an agtrace store (they can then be listed from their
/// traces tables without loading spans).
pub fn all_agtrace_stores(inputs: &[crate::source::Input]) -> Option<Vec<std::path::PathBuf>> {
    let mut out = Vec::new();
    for i in inputs {
        match i {
            crate::source::Input::Path(p) if p.is_file() && crate::source::is_sqlite(p) => {
                match open_read_only(p) {
                    Ok((_, Flavor::Agtrace)) => out.push(p.clone()),
                    _ => return None,
                }
            }
            _ => return None,
        }
    }
    (!out.is_empty()).then_some(out)
}

use rusqlite::{Connection, OpenFlags};
use std::path::Path;

/// What went wrong with a store.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// A SQLite database, but neither an agtrace store nor a Phoenix store.
    #[error(
        "{path}: a SQLite database, but neither an agtrace store (no agtrace_meta table) nor an Arize Phoenix store; agtrace opens OTLP dumps (JSON or protobuf, plain or compressed), agtrace stores and Phoenix stores"
    )]
    NotAStore {
        /// The file.
        path: String,
    },
    /// `import --db` names a file agtrace may not write into.
    #[error(
        "{path}: {what}; agtrace import writes only into agtrace stores (name a new file with --db to create one)"
    )]
    NotImportTarget {
        /// The file.
        path: String,
        /// What it is instead.
        what: &'static str,
    },
    /// Written by a newer agtrace.
    #[error(
        "{path}: an agtrace store of schema version {found}, newer than this agtrace reads ({supported}); upgrade agtrace"
    )]
    TooNew {
        /// The file.
        path: String,
        /// Its version.
        found: i64,
        /// Ours.
        supported: i64,
    },
    /// SQLite says the file is damaged.
    #[error(
        "{path}: the store is damaged ({message}); `sqlite3 {path} 'PRAGMA integrity_check'` shows details"
    )]
    Corrupt {
        /// The file.
        path: String,
        /// SQLite's message.
        message: String,
    },
    /// Another writer holds the store.
    #[error(
        "{path}: another import is writing to this store; it was still busy after {seconds}s — run this import again when it has finished"
    )]
    Busy {
        /// The file.
        path: String,
        /// How long we waited.
        seconds: u64,
    },
    /// Loading the inputs to import failed.
    #[error(transparent)]
    Load(#[from] Box<crate::source::LoadError>),
    /// Any other SQLite error.
    #[error("{path}: {source}")]
    Sqlite {
        /// The file.
        path: String,
        /// The error.
        #[source]
        source: rusqlite::Error,
    },
}

impl StoreError {
    fn sqlite(path: &Path, e: rusqlite::Error) -> StoreError {
        let p = path.display().to_string();
        match &e {
            rusqlite::Error::SqliteFailure(f, msg) => match f.code {
                rusqlite::ErrorCode::NotADatabase | rusqlite::ErrorCode::DatabaseCorrupt => {
                    StoreError::Corrupt {
                        path: p,
                        message: msg.clone().unwrap_or_else(|| f.to_string()),
                    }
                }
                rusqlite::ErrorCode::DatabaseBusy | rusqlite::ErrorCode::DatabaseLocked => {
                    StoreError::Busy {
                        path: p,
                        seconds: BUSY_TIMEOUT.as_secs(),
                    }
                }
                _ => StoreError::Sqlite { path: p, source: e },
            },
            // Text that is not UTF-8 or a value of the wrong type where agtrace
            // wrote a known one: the file was damaged or written by something else.
            rusqlite::Error::Utf8Error(..)
            | rusqlite::Error::FromSqlConversionFailure(..)
            | rusqlite::Error::InvalidColumnType(..) => StoreError::Corrupt {
                path: p,
                message: e.to_string(),
            },
            _ => StoreError::Sqlite { path: p, source: e },
        }
    }
}

/// How long a writer waits for another one before giving up.
pub const BUSY_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(10);

/// What kind of SQLite file a store is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Flavor {
    /// Written by `agtrace import`.
    Agtrace,
    /// Arize Phoenix's `phoenix.db`.
    Phoenix,
}

/// Opens a store read-only (never creating or changing it). A store on a read-only
/// mount, or owned by someone else, opens in immutable mode.
pub fn open_read_only(path: &Path) -> Result<(Connection, Flavor), StoreError> {
    let flags = OpenFlags::SQLITE_OPEN_READ_ONLY
        | OpenFlags::SQLITE_OPEN_URI
        | OpenFlags::SQLITE_OPEN_NO_MUTEX;
    let first = Connection::open_with_flags(path, flags).and_then(|c| {
        c.query_row("SELECT count(*) FROM sqlite_master", [], |_| Ok(()))?;
        Ok(c)
    });
    let conn = match first {
        Ok(c) => c,
        Err(e) if matches!(&e, rusqlite::Error::SqliteFailure(f, _) if matches!(f.code, rusqlite::ErrorCode::CannotOpen | rusqlite::ErrorCode::ReadOnly | rusqlite::ErrorCode::PermissionDenied)) =>
        {
            // WAL needs a writable -shm file; immutable mode reads the file as it is.
            let uri = format!("file:{}?immutable=1", path.display());
            let c =
                Connection::open_with_flags(uri, flags).map_err(|e| StoreError::sqlite(path, e))?;
            c.query_row("SELECT count(*) FROM sqlite_master", [], |_| Ok(()))
                .map_err(|e| StoreError::sqlite(path, e))?;
            c
        }
        Err(e) => return Err(StoreError::sqlite(path, e)),
    };
    let flavor = flavor_of(&conn, path)?;
    Ok((conn, flavor))
}

fn table_exists(conn: &Connection, name: &str) -> rusqlite::Result<bool> {
    conn.query_row(
        "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = ?1",
        [name],
        |r| r.get::<_, i64>(0),
    )
    .map(|n| n > 0)
}

fn flavor_of(conn: &Connection, path: &Path) -> Result<Flavor, StoreError> {
    let err = |e| StoreError::sqlite(path, e);
    if table_exists(conn, "agtrace_meta").map_err(err)? {
        let version: i64 = conn
            .pragma_query_value(None, "user_version", |r| r.get(0))
            .map_err(err)?;
        if version > schema::VERSION {
            return Err(StoreError::TooNew {
                path: path.display().to_string(),
                found: version,
                supported: schema::VERSION,
            });
        }
        return Ok(Flavor::Agtrace);
    }
    if table_exists(conn, "projects").map_err(err)?
        && table_exists(conn, "spans").map_err(err)?
        && table_exists(conn, "traces").map_err(err)?
    {
        return Ok(Flavor::Phoenix);
    }
    Err(StoreError::NotAStore {
        path: path.display().to_string(),
    })
}

impl From<crate::source::LoadError> for StoreError {
    fn from(e: crate::source::LoadError) -> StoreError {
        StoreError::Load(Box::new(e))
    }
}
