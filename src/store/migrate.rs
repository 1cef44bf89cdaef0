//! Upgrades older stores to the current schema inside the import's first transaction,
//! so a store is either fully migrated or untouched. Reading needs no migration: every
//! schema this build knows is read as it is.

use super::{read, schema, write};
use crate::model::TraceSet;
use crate::semconv::PriceTable;
use rusqlite::Connection;

/// The tables of schemas 1 to 3, dropped once their content is rewritten.
const OLD_TABLES: &[&str] = &[
    "trace_text",
    "span_text",
    "links",
    "events",
    "attributes",
    "spans",
    "scopes",
    "traces",
    "resources",
    "agtrace_meta",
];

/// Brings a store of schema `from` to [`schema::VERSION`]. Schema 4 gains its peer
/// measures (read in pieces, see `peers::fill`). Older schemas are rewritten whole:
/// the spans are read back into the model and written again in the current layout (a
/// contentless full-text index cannot be rearranged in place; it is rebuilt from the
/// stored attributes).
pub fn upgrade(conn: &Connection, from: i64, prices: &PriceTable) -> rusqlite::Result<()> {
    if from >= schema::VERSION {
        return Ok(());
    }
    if from == 4 {
        super::peers::fill(conn, prices)?;
        return conn.pragma_update(None, "user_version", schema::VERSION);
    }
    let batch = read::read_all(conn)?;
    let mut set = TraceSet::build(vec![batch], vec![String::new()], Vec::new());
    crate::semconv::annotate(&mut set, prices);
    crate::analysis::findings::derive(&mut set);
    for t in OLD_TABLES {
        conn.execute_batch(&format!("DROP TABLE IF EXISTS {t}"))?;
    }
    schema::create(conn)?;
    write::write(conn, &set, false, |_| {})
}
