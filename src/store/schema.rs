//! The store's schema: a public, versioned interface (`PRAGMA user_version`), created
//! and migrated here. README documents the tables and shows queries against them.

use rusqlite::Connection;

/// The schema version this build writes and reads.
pub const VERSION: i64 = 5;

/// Marker row that tells an agtrace store from any other SQLite file.
pub const FORMAT: &str = "agtrace-store";

/// Version 5 is version 4 with [`PEERS`]. Version 4: traces with their aggregates; one row per span holding the derived step
/// fields as columns and its attributes as a JSON object (last, so long prompts spill
/// to overflow pages without moving the columns before them); resources and scopes
/// by reference; events and links as rows; a full-text index with one document per
/// trace (per import that added spans to it): its distinct span names, tool names, and
/// every distinct piece of text its spans carry as it is (status messages, string
/// attribute values with their JSON, event names and attributes), so that the words
/// of anything `text:` can find in memory are in it (see `search`). Sessions, users
/// and agents are indexed on traces, where lookups start; spans are indexed by trace
/// and span id, model, tool and failure. Each trace row carries its findings as a JSON
/// array (`{kind, severity, span_ids, message}`, as `ls --json` prints them), decided
/// at import (runaways and slow steps among the whole store, see [`PEERS`]).
///
/// Version 3 was the same with the index over message attributes only, their JSON
/// keys left out (`trace_text (name, tool_name, messages)`); version 2 had one
/// document per span.
const V4: &str = r#"
CREATE TABLE agtrace_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE resources (
    id INTEGER PRIMARY KEY,
    service TEXT NOT NULL,
    attributes TEXT NOT NULL,
    dropped_attributes INTEGER NOT NULL DEFAULT 0,
    UNIQUE (service, attributes, dropped_attributes)
);
CREATE TABLE scopes (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL,
    version TEXT NOT NULL,
    attributes TEXT NOT NULL,
    dropped_attributes INTEGER NOT NULL DEFAULT 0,
    UNIQUE (name, version, attributes, dropped_attributes)
);
CREATE TABLE traces (
    trace_id TEXT PRIMARY KEY,
    root_name TEXT NOT NULL,
    service TEXT NOT NULL,
    session_id TEXT,
    user_id TEXT,
    agent_name TEXT,
    start_ns INTEGER NOT NULL,
    end_ns INTEGER NOT NULL,
    duration_ms REAL NOT NULL,
    span_count INTEGER NOT NULL,
    error_count INTEGER NOT NULL,
    warning_count INTEGER NOT NULL,
    llm_calls INTEGER NOT NULL,
    tool_calls INTEGER NOT NULL,
    input_tokens INTEGER,
    output_tokens INTEGER,
    cache_read_tokens INTEGER,
    cache_write_tokens INTEGER,
    reasoning_tokens INTEGER,
    cost_usd REAL,
    cost_partial INTEGER NOT NULL,
    billable_steps INTEGER NOT NULL,
    unpriced_steps INTEGER NOT NULL,
    orphan_count INTEGER NOT NULL,
    cycle_count INTEGER NOT NULL,
    clock_skew_count INTEGER NOT NULL,
    unfinished_count INTEGER NOT NULL,
    duplicate_count INTEGER NOT NULL,
    dropped_count INTEGER NOT NULL,
    status TEXT NOT NULL,
    findings TEXT
);
CREATE INDEX traces_start ON traces (start_ns);
CREATE INDEX traces_session ON traces (session_id, start_ns) WHERE session_id IS NOT NULL;
CREATE INDEX traces_user ON traces (user_id, start_ns) WHERE user_id IS NOT NULL;
CREATE INDEX traces_agent ON traces (agent_name) WHERE agent_name IS NOT NULL;
CREATE INDEX traces_status ON traces (status);
CREATE TABLE spans (
    id INTEGER PRIMARY KEY,
    trace_id TEXT NOT NULL,
    span_id TEXT NOT NULL,
    parent_span_id TEXT,
    name TEXT NOT NULL,
    kind TEXT NOT NULL,
    model TEXT,
    provider TEXT,
    tool_name TEXT,
    session_id TEXT,
    user_id TEXT,
    agent_name TEXT,
    input_tokens INTEGER,
    output_tokens INTEGER,
    cost_usd REAL,
    status TEXT NOT NULL,
    status_reason TEXT,
    start_ns INTEGER NOT NULL,
    end_ns INTEGER NOT NULL,
    span_kind TEXT NOT NULL,
    status_code TEXT NOT NULL,
    status_message TEXT NOT NULL,
    trace_state TEXT NOT NULL,
    flags INTEGER NOT NULL,
    resource_id INTEGER NOT NULL REFERENCES resources (id),
    scope_id INTEGER NOT NULL REFERENCES scopes (id),
    dropped_attributes INTEGER NOT NULL,
    dropped_events INTEGER NOT NULL,
    dropped_links INTEGER NOT NULL,
    attributes TEXT NOT NULL,
    UNIQUE (trace_id, span_id)
);
CREATE INDEX spans_model ON spans (model) WHERE model IS NOT NULL;
CREATE INDEX spans_tool ON spans (tool_name) WHERE tool_name IS NOT NULL;
CREATE INDEX spans_failed ON spans (status) WHERE status != 'ok';
CREATE TABLE events (
    span_rowid INTEGER NOT NULL REFERENCES spans (id),
    idx INTEGER NOT NULL,
    time_ns INTEGER NOT NULL,
    name TEXT NOT NULL,
    attributes TEXT NOT NULL,
    dropped_attributes INTEGER NOT NULL,
    PRIMARY KEY (span_rowid, idx)
);
CREATE TABLE links (
    span_rowid INTEGER NOT NULL REFERENCES spans (id),
    idx INTEGER NOT NULL,
    trace_id TEXT NOT NULL,
    span_id TEXT NOT NULL,
    trace_state TEXT NOT NULL,
    flags INTEGER NOT NULL,
    attributes TEXT NOT NULL,
    dropped_attributes INTEGER NOT NULL,
    PRIMARY KEY (span_rowid, idx)
);
CREATE VIRTUAL TABLE trace_text USING fts5 (name, tool_name, text, content = '', detail = full, columnsize = 0);
INSERT INTO trace_text (trace_text, rank) VALUES ('hashsize', 16777216);
"#;

/// What `runaway` and `slow` compare with (schema 5): every trace's measures (its
/// steps, tokens and cost; each tool's, span name's or model's step durations), each
/// by its group of peers (`peer_groups.name` is `analysis::peers::PeerGroup::name`),
/// so an import judges new and old traces among everything stored by reading this
/// one compact table (12 bytes a measure) instead of the store's spans. `measures` is
/// little-endian (group id: u32, the top bit set when a stored `runaway` or `slow`
/// finding rests on the measure; value: f64) per measure; trace ids are their 16
/// bytes.
pub const PEERS: &str = r#"
CREATE TABLE peer_groups (id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE);
CREATE TABLE trace_measures (trace_id BLOB PRIMARY KEY, measures BLOB NOT NULL) WITHOUT ROWID;
"#;

/// Creates the current schema in an empty database.
pub fn create(conn: &Connection) -> rusqlite::Result<()> {
    conn.execute_batch(V4)?;
    conn.execute_batch(PEERS)?;
    conn.execute(
        "INSERT INTO agtrace_meta (key, value) VALUES ('format', ?1)",
        [FORMAT],
    )?;
    conn.pragma_update(None, "user_version", VERSION)
}
