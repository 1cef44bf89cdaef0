//! The terminal-free picture of a trace that every view shares: the outline (tree
//! order, subtree totals, failure origins, critical path), the detail of a step as
//! typed sections, the JSON forms, and the trace-list query. `render/` prints it,
//! `tui/` draws it; neither computes what a trace means.

pub mod agentview;
pub mod detail;
pub mod diff;
pub mod evaluation;
pub mod findings;
pub mod json;
pub mod list;
pub mod outline;
pub mod peers;
pub mod stats;
pub mod steptime;
pub mod totals;
pub mod transcript;
pub mod turn;
