//! Plain-text and JSON printers for `ls` and `show`, the formatting helpers they share,
//! and sanitizing of untrusted text. Printers write to any `io::Write`; they never
//! touch the terminal beyond that.

pub mod cells;
pub mod diff;
pub mod ls;
pub mod markdown;
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
    out: &mut (impl std::io::Write + ?Sized),
    v: &serde_json::Value,
) -> std::io::Result<()> {
    let text = v.to_string();
    // serde_json escapes C0 only: C1 controls, DEL, bidi and invisible formatting
    // characters are escaped here (as \uXXXX, surrogate pairs above the BMP), so a
    // consumer that prints a field cannot be steered by it either.
    if text.contains(crate::sanitize::is_dangerous) {
        let mut safe = String::with_capacity(text.len() + 16);
        let mut units = [0u16; 2];
        for c in text.chars() {
            if crate::sanitize::is_dangerous(c) {
                for u in c.encode_utf16(&mut units) {
                    safe.push_str(&format!("\\u{:04x}", u));
                }
            } else {
                safe.push(c);
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
