//! A prepared `INSERT` that hands SQLite its text values without a copy.
//!
//! rusqlite binds every string as `SQLITE_TRANSIENT`, so SQLite allocates and copies
//! each one before the row is built, and frees it on the next bind. For the span rows
//! of an import (a dozen strings each, the attribute JSON among them) that was a fifth
//! of the writer thread's instructions. Here values are bound `SQLITE_STATIC`: SQLite
//! reads them in place while the row is built. That is sound because [`execute`]
//! steps the statement, resets it and clears its bindings before it returns, so SQLite
//! never holds a pointer past the borrow of the values.
//!
//! [`execute`]: StaticInsert::execute

#![allow(unsafe_code)]

use rusqlite::Connection;
use rusqlite::ffi;
use std::ffi::{CStr, c_int};
use std::marker::PhantomData;
use std::ptr::NonNull;

/// One value to bind.
#[derive(Debug, Clone, Copy)]
pub enum Value<'a> {
    Null,
    Int(i64),
    Real(f64),
    Text(&'a str),
    Blob(&'a [u8]),
}

impl<'a> From<&'a str> for Value<'a> {
    fn from(s: &'a str) -> Self {
        Value::Text(s)
    }
}

impl<'a> From<Option<&'a str>> for Value<'a> {
    fn from(s: Option<&'a str>) -> Self {
        s.map_or(Value::Null, Value::Text)
    }
}

impl From<i64> for Value<'_> {
    fn from(v: i64) -> Self {
        Value::Int(v)
    }
}

impl From<Option<i64>> for Value<'_> {
    fn from(v: Option<i64>) -> Self {
        v.map_or(Value::Null, Value::Int)
    }
}

impl From<Option<f64>> for Value<'_> {
    fn from(v: Option<f64>) -> Self {
        v.map_or(Value::Null, Value::Real)
    }
}

/// A statement prepared on a connection it cannot outlive.
pub struct StaticInsert<'c> {
    stmt: NonNull<ffi::sqlite3_stmt>,
    db: NonNull<ffi::sqlite3>,
    params: usize,
    _conn: PhantomData<&'c Connection>,
}

impl<'c> StaticInsert<'c> {
    /// Prepares `sql` (one statement) on `conn`.
    pub fn new(conn: &'c Connection, sql: &str) -> rusqlite::Result<StaticInsert<'c>> {
        // SAFETY: the handle is valid for as long as `conn` is borrowed, which the
        // lifetime 'c ties this statement to; it is only used on this thread (the
        // statement holds raw pointers, so it is neither Send nor Sync).
        let db = NonNull::new(unsafe { conn.handle() })
            .ok_or_else(|| failure(ffi::SQLITE_MISUSE, "no database handle".into()))?;
        let len = c_int::try_from(sql.len())
            .map_err(|_| failure(ffi::SQLITE_TOOBIG, "statement too long".into()))?;
        let mut stmt = std::ptr::null_mut();
        // SAFETY: `sql` is valid for `len` bytes; SQLite writes the statement to `stmt`.
        let rc = unsafe {
            ffi::sqlite3_prepare_v2(
                db.as_ptr(),
                sql.as_ptr().cast(),
                len,
                &mut stmt,
                std::ptr::null_mut(),
            )
        };
        if rc != ffi::SQLITE_OK {
            return Err(error(db, rc));
        }
        let stmt = NonNull::new(stmt)
            .ok_or_else(|| failure(ffi::SQLITE_MISUSE, "empty statement".into()))?;
        // SAFETY: `stmt` was just prepared.
        let params = unsafe { ffi::sqlite3_bind_parameter_count(stmt.as_ptr()) } as usize;
        Ok(StaticInsert {
            stmt,
            db,
            params,
            _conn: PhantomData,
        })
    }

    /// Binds `values` to the parameters in order, runs the statement and returns the
    /// number of rows it changed.
    pub fn execute(&mut self, values: &[Value<'_>]) -> rusqlite::Result<usize> {
        if values.len() != self.params {
            return Err(rusqlite::Error::InvalidParameterCount(
                values.len(),
                self.params,
            ));
        }
        let stmt = self.stmt.as_ptr();
        let mut rc = ffi::SQLITE_OK;
        for (i, v) in values.iter().enumerate() {
            let col = i as c_int + 1;
            // SAFETY: `stmt` is a live statement and `col` is within its parameter
            // count. Text and blobs are bound SQLITE_STATIC: it stays borrowed (and so valid)
            // until the bindings are cleared below, before this function returns.
            rc = unsafe {
                match *v {
                    Value::Null => ffi::sqlite3_bind_null(stmt, col),
                    Value::Int(n) => ffi::sqlite3_bind_int64(stmt, col, n),
                    Value::Real(f) => ffi::sqlite3_bind_double(stmt, col, f),
                    Value::Text(s) => ffi::sqlite3_bind_text64(
                        stmt,
                        col,
                        s.as_ptr().cast(),
                        s.len() as u64,
                        ffi::SQLITE_STATIC(),
                        ffi::SQLITE_UTF8 as u8,
                    ),
                    Value::Blob(b) => ffi::sqlite3_bind_blob64(
                        stmt,
                        col,
                        b.as_ptr().cast(),
                        b.len() as u64,
                        ffi::SQLITE_STATIC(),
                    ),
                }
            };
            if rc != ffi::SQLITE_OK {
                break;
            }
        }
        if rc == ffi::SQLITE_OK {
            // SAFETY: a live statement with every parameter bound.
            rc = unsafe { ffi::sqlite3_step(stmt) };
        }
        let result = if rc == ffi::SQLITE_DONE || rc == ffi::SQLITE_ROW {
            // SAFETY: the connection is live.
            Ok(unsafe { ffi::sqlite3_changes64(self.db.as_ptr()) } as usize)
        } else {
            Err(error(self.db, rc))
        };
        // SAFETY: a live statement. After these two calls SQLite holds no pointer
        // into `values`.
        unsafe {
            ffi::sqlite3_reset(stmt);
            ffi::sqlite3_clear_bindings(stmt);
        }
        result
    }
}

impl Drop for StaticInsert<'_> {
    fn drop(&mut self) {
        // SAFETY: the statement is live and finalized once, here.
        unsafe {
            ffi::sqlite3_finalize(self.stmt.as_ptr());
        }
    }
}

/// The connection's error for result code `rc`, with SQLite's message.
fn error(db: NonNull<ffi::sqlite3>, rc: c_int) -> rusqlite::Error {
    // SAFETY: the connection is live; SQLite returns a NUL-terminated message that
    // stays valid until the next call on it, and it is copied at once.
    let msg = unsafe {
        let p = ffi::sqlite3_errmsg(db.as_ptr());
        (!p.is_null()).then(|| CStr::from_ptr(p).to_string_lossy().into_owned())
    };
    rusqlite::Error::SqliteFailure(ffi::Error::new(rc), msg)
}

fn failure(rc: c_int, msg: String) -> rusqlite::Error {
    rusqlite::Error::SqliteFailure(ffi::Error::new(rc), Some(msg))
}

#[cfg(test)]
mod tests {
    use super::{StaticInsert, Value};
    use rusqlite::Connection;

    #[test]
    fn values_arrive_as_bound_and_conflicts_report_no_change() {
        let conn = Connection::open_in_memory().expect("open");
        conn.execute_batch("CREATE TABLE t (k TEXT PRIMARY KEY, n INTEGER, f REAL, z)")
            .expect("schema");
        let mut ins = StaticInsert::new(&conn, "INSERT OR IGNORE INTO t VALUES (?1, ?2, ?3, ?4)")
            .expect("prepare");
        for i in 0..3 {
            // A fresh string each time, dropped after the call.
            let key = format!("key-{i}");
            let n = ins
                .execute(&[
                    key.as_str().into(),
                    Value::Int(i),
                    Value::Real(0.5),
                    Value::Null,
                ])
                .expect("insert");
            assert_eq!(n, 1);
        }
        let again = ins
            .execute(&["key-1".into(), Value::Int(9), Value::Real(9.0), Value::Null])
            .expect("insert");
        assert_eq!(again, 0, "ignored");
        let rows: Vec<(String, i64, f64, Option<i64>)> = conn
            .prepare("SELECT k, n, f, z FROM t ORDER BY k")
            .expect("prepare")
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))
            .expect("query")
            .collect::<Result<_, _>>()
            .expect("rows");
        assert_eq!(
            rows,
            vec![
                ("key-0".into(), 0, 0.5, None),
                ("key-1".into(), 1, 0.5, None),
                ("key-2".into(), 2, 0.5, None)
            ]
        );
    }

    #[test]
    fn errors_carry_sqlites_message_and_the_statement_stays_usable() {
        let conn = Connection::open_in_memory().expect("open");
        conn.execute_batch("CREATE TABLE t (k TEXT NOT NULL)")
            .expect("schema");
        assert!(StaticInsert::new(&conn, "INSERT INTO nowhere VALUES (1)").is_err());
        let mut ins = StaticInsert::new(&conn, "INSERT INTO t VALUES (?1)").expect("prepare");
        let e = ins.execute(&[Value::Null]).expect_err("NOT NULL");
        assert!(e.to_string().contains("NOT NULL"), "{e}");
        assert!(ins.execute(&[]).is_err(), "wrong parameter count");
        assert_eq!(ins.execute(&["ok".into()]).expect("insert"), 1);
    }
}
