//! Making untrusted text safe for a terminal: every control character (C0, DEL, C1) and
//! every bidirectional override becomes visible escape text, so a span name holding an
//! escape sequence shows as `\x1b[31m` instead of acting on the terminal.

use std::borrow::Cow;
use std::fmt::Write as _;

fn is_dangerous(c: char) -> bool {
    c.is_control()
        || matches!(c, '\u{200e}' | '\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
}

/// One-line form: newlines and tabs are escaped too.
pub fn sanitize(s: &str) -> Cow<'_, str> {
    if !s.chars().any(is_dangerous) {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        push_char(&mut out, c, false);
    }
    Cow::Owned(out)
}

/// Multi-line form: keeps `\n` (and turns tabs into spaces); escapes the rest.
pub fn sanitize_multiline(s: &str) -> Cow<'_, str> {
    if !s.chars().any(|c| c != '\n' && is_dangerous(c)) {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        push_char(&mut out, c, true);
    }
    Cow::Owned(out)
}

fn push_char(out: &mut String, c: char, multiline: bool) {
    match c {
        '\n' if multiline => out.push('\n'),
        '\t' if multiline => out.push_str("    "),
        '\n' => out.push_str("\\n"),
        '\r' => out.push_str("\\r"),
        '\t' => out.push_str("\\t"),
        c if is_dangerous(c) => {
            let n = c as u32;
            if n < 0x100 {
                let _ = write!(out, "\\x{n:02x}");
            } else {
                let _ = write!(out, "\\u{{{n:x}}}");
            }
        }
        c => out.push(c),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_control_and_bidi() {
        assert_eq!(sanitize("plain"), "plain");
        assert_eq!(sanitize("a\x1b[31mred"), "a\\x1b[31mred");
        assert_eq!(sanitize("bell\x07"), "bell\\x07");
        assert_eq!(sanitize("c1\u{9b}"), "c1\\x9b");
        assert_eq!(sanitize("rtl\u{202e}x"), "rtl\\u{202e}x");
        assert_eq!(sanitize("two\nlines"), "two\\nlines");
        assert_eq!(sanitize_multiline("two\nlines\x1b"), "two\nlines\\x1b");
    }
}
