//! Load warnings: problems that did not stop loading but that the user must hear about
//! (a damaged tail, a span with unreadable ids), each with where it happened.

use std::fmt;

/// Where in an input a problem was found.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Position {
    /// The whole input.
    Whole,
    /// A 1-based line and column.
    Line {
        /// 1-based line.
        line: u64,
        /// 1-based column.
        column: u64,
    },
    /// A byte offset from the start of the (decompressed) input.
    Byte(u64),
}

/// One warning about one input.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Warning {
    /// The input's name as the user gave it (`-` is shown as `<stdin>`).
    pub source: String,
    /// Where.
    pub position: Position,
    /// What happened, as one sentence.
    pub message: String,
}

impl fmt::Display for Warning {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.position {
            Position::Whole => write!(f, "{}: {}", self.source, self.message),
            Position::Line { line, column } => {
                write!(f, "{}:{line}:{column}: {}", self.source, self.message)
            }
            Position::Byte(b) => write!(f, "{}: byte {b}: {}", self.source, self.message),
        }
    }
}
