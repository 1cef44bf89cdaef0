//! Plain-text and JSON printers for `ls` and `show`, the formatting helpers they share,
//! and sanitizing of untrusted text. Printers write to any `io::Write`; they never
//! touch the terminal beyond that.

pub mod format;
pub mod ls;
pub mod show;
mod sanitize;
pub mod style;

pub use sanitize::{sanitize, sanitize_multiline};
pub use style::{Paint, Style};

use crate::model::Outcome;

/// A status as glyph + word (terminal) or word alone (pipe), colored.
pub fn status_cell(style: &Style, o: Outcome) -> String {
    let (glyph, paint) = match o {
        Outcome::Ok => ("✓", Paint::Green),
        Outcome::Warning => ("!", Paint::Yellow),
        Outcome::Error => ("✗", Paint::Red),
    };
    let text = if style.unicode {
        format!("{glyph} {}", o.as_str())
    } else {
        o.as_str().to_owned()
    };
    let padded = format::pad(&text, if style.unicode { 9 } else { 7 });
    style.paint(&padded, paint)
}
