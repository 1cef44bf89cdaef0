//! agtrace: a terminal explorer for traces of AI agents.
//!
//! Data flows one way: [`source`] opens inputs and detects formats, [`decode`] turns
//! bytes into spans, [`model`] builds the trace set (arena, trees, integrity),
//! [`query`] selects traces, and [`render`] prints them.
//!
//! ```
//! use agtrace::source::{load_bytes, LoadOptions};
//! use agtrace::model::TraceSet;
//!
//! let doc = br#"{"resourceSpans":[{"scopeSpans":[{"spans":[{
//!     "traceId":"5b8efff798038103d269b633813fc60c","spanId":"eee19b7ec3c1b174",
//!     "name":"invoke_agent","startTimeUnixNano":"1","endTimeUnixNano":"2"}]}]}]}"#;
//! let decoded = load_bytes(doc.to_vec(), "example", 0, &LoadOptions::default()).unwrap();
//! let set = TraceSet::build(decoded.batches, vec!["example".into()], vec![]);
//! assert_eq!(set.traces.len(), 1);
//! assert_eq!(set.str(set.traces[0].root_name), "invoke_agent");
//! ```

pub mod analysis;
pub mod backend;
pub mod cli;
pub mod commands;
pub mod decode;
pub mod export;
pub mod format;
pub mod fuzzing;
pub mod input;
pub mod live;
pub mod mcp;
pub mod model;
pub mod oom;
pub mod query;
pub mod redact;
pub mod render;
pub mod sanitize;
pub mod semconv;
pub mod source;
pub mod store;
pub mod tui;

/// `agtrace --version`: the crate version and the date of the bundled price table
/// (costs priced from the table are estimates as of that date).
pub const VERSION: &str = concat!(
    env!("CARGO_PKG_VERSION"),
    " (bundled prices as of 2026-12-01)"
);
