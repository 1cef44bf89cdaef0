//! Upgrades older stores to the current schema inside the import's first transaction,
//! so a store is either fully migrated or untouched. Reading needs no migration: every
//! schema this build knows is read as it is.

use super::{read, schema, write};
use crate::model::TraceSet;
use crate::semconv::PriceTable;
use rusqlite::Connection;

/// Schema 1's tables, dropped once their content is rewritten.
const V1_TABLES: &[&str] = &[
    "span_text",
    "links",
    "events",
    "attributes",
    "spans",
    "traces",
    "resources",
    "agtrace_meta",
];

/// Brings a store of schema `from` to [`schema::VERSION`]. Schema 1 is rewritten whole:
/// its spans are read back into the model and written again in the current layout.
pub fn upgrade(conn: &Connection, from: i64, prices: &PriceTable) -> rusqlite::Result<()> {
    if from >= schema::VERSION {
        return Ok(());
    }
    let batch = read::read_all(conn)?;
    let mut set = TraceSet::build(vec![batch], vec![String::new()], Vec::new());
    crate::semconv::annotate(&mut set, prices);
    for t in V1_TABLES {
        conn.execute_batch(&format!("DROP TABLE IF EXISTS {t}"))?;
    }
    schema::create(conn)?;
    write::write(conn, &set, false, |_| {})
}
