//! Plain-text and JSON printers for `ls` and `show`, the formatting helpers they share,
//! and sanitizing of untrusted text. Printers write to any `io::Write`; they never
//! touch the terminal beyond that.

pub mod cells;
pub mod ls;
pub mod reference;

pub mod show;
pub mod stats;
pub mod style;

pub use style::{Paint, Style};

use crate::model::Outcome;

/// Writes one JSON value on its own line. serde_json already escapes control
/// characters; bidirectional overrides are escaped too, so JSON printed to a terminal
/// cannot reorder what the user sees.
pub fn write_json_line(
    out: &mut impl std::io::Write,
    v: &serde_json::Value,
) -> std::io::Result<()> {
    let text = v.to_string();
    if text.contains(|c: char| matches!(c, '\u{200e}' | '\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')) {
        let mut safe = String::with_capacity(text.len() + 16);
        for c in text.chars() {
            match c {
                '\u{200e}' | '\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}' => {
                    safe.push_str(&format!("\\u{:04x}", c as u32))
                }
                c => safe.push(c),
            }
        }
        writeln!(out, "{safe}")
    } else {
        writeln!(out, "{text}")
    }
}

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
    let padded = crate::format::pad(&text, if style.unicode { 9 } else { 7 });
    style.paint(&padded, paint)
}
