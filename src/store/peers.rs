//! Findings that judge a trace among its peers (`runaway`, `slow`) decided over the
//! whole store once an import that wrote in pieces is done (a large file, a store
//! that already held traces, a live receiver at its stop): the store then says what
//! the same data read as one file says, instead of what each batch alone said. The
//! store is read twice in bounded pieces — once for the peers, once to decide again —
//! and only the findings that changed are written, in one transaction.

use super::StoreError;
use crate::analysis::findings::{self, PeerStats, Peers};
use crate::model::TraceSet;
use crate::semconv::PriceTable;
use rusqlite::OptionalExtension as _;
use std::path::Path;

/// Spans read at once: what the refresh holds in memory, as an import does.
pub const PIECE_SPANS: u64 = 200_000;

/// Decides the findings of every trace of the store at `db` against the peers of
/// the whole store and writes those that changed; returns how many traces changed.
pub fn refresh_findings(db: &Path, prices: &PriceTable) -> Result<usize, StoreError> {
    let conn = super::import::open_for_write(db, prices)?;
    let e = |x| StoreError::sqlite(db, x);
    let pieces = pieces(&conn).map_err(e)?;
    if pieces.len() < 2 && pieces.first().is_none_or(|p| p.is_empty()) {
        return Ok(0);
    }
    let mut stats = PeerStats::default();
    for ids in &pieces {
        stats.absorb(&load_piece(&conn, ids, db, prices).map_err(e)?);
    }
    stats.finish();
    let tx = conn.unchecked_transaction().map_err(e)?;
    let mut changed = 0;
    {
        let mut read = tx
            .prepare("SELECT findings FROM traces WHERE trace_id = ?1")
            .map_err(e)?;
        let mut write = tx
            .prepare("UPDATE traces SET findings = ?2 WHERE trace_id = ?1")
            .map_err(e)?;
        for ids in &pieces {
            let mut set = load_piece(&tx, ids, db, prices).map_err(e)?;
            let peers = Peers::from_stats(&set, &stats);
            findings::derive_with(&mut set, &peers);
            for t in 0..set.traces.len() as u32 {
                let id = set.traces[t as usize].id.to_string();
                let now = findings::trace_findings_json(&set, t);
                let was: Option<String> = read
                    .query_row([&id], |r| r.get(0))
                    .optional()
                    .map_err(e)?
                    .flatten();
                if was != now {
                    write.execute(rusqlite::params![id, now]).map_err(e)?;
                    changed += 1;
                }
            }
        }
    }
    tx.commit().map_err(e)?;
    Ok(changed)
}

/// The store's trace ids in pieces of about [`PIECE_SPANS`] spans (whole traces).
fn pieces(conn: &rusqlite::Connection) -> rusqlite::Result<Vec<Vec<String>>> {
    let mut st = conn.prepare("SELECT trace_id, span_count FROM traces ORDER BY rowid")?;
    let rows = st.query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)?)))?;
    let mut out: Vec<Vec<String>> = vec![Vec::new()];
    let mut spans = 0u64;
    for row in rows {
        let (id, n) = row?;
        if spans >= PIECE_SPANS {
            out.push(Vec::new());
            spans = 0;
        }
        spans += u64::try_from(n).unwrap_or(0);
        if let Some(last) = out.last_mut() {
            last.push(id);
        }
    }
    Ok(out)
}

/// The traces `ids` read back and annotated.
fn load_piece(
    conn: &rusqlite::Connection,
    ids: &[String],
    db: &Path,
    prices: &PriceTable,
) -> rusqlite::Result<TraceSet> {
    let batch = super::read::load_traces(conn, ids, 0)?;
    let mut set = TraceSet::build(vec![batch], vec![db.display().to_string()], Vec::new());
    crate::semconv::annotate(&mut set, prices);
    Ok(set)
}
