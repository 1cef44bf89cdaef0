//! Making untrusted text safe for a terminal: every control character (C0, DEL, C1),
//! every bidirectional override and every invisible formatting character (zero-width
//! spaces and joiners, word joiner, BOM, line and paragraph separators, tag
//! characters) becomes visible escape text, so a span name holding an escape sequence
//! shows as `\x1b[31m` instead of acting on the terminal, and nothing shifts a row by a
//! cell it does not show. Runs of combining marks are cut to a few per character, so a
//! name stacked with hundreds of them cannot blank the next column.

use std::borrow::Cow;
use std::fmt::Write as _;

/// True for a character that must not reach a terminal or a JSON consumer raw.
pub fn is_dangerous(c: char) -> bool {
    c.is_control()
        || matches!(
            c,
            '\u{061c}'
                | '\u{180e}'
                | '\u{200b}'..='\u{200f}'
                | '\u{2028}'..='\u{202e}'
                | '\u{2060}'..='\u{2064}'
                | '\u{2066}'..='\u{2069}'
                | '\u{feff}'
                | '\u{e0000}'..='\u{e007f}'
        )
}

/// Combining marks kept after one base character; the rest of the run is dropped.
pub const MAX_COMBINING: usize = 4;

fn is_combining(c: char) -> bool {
    matches!(
        c,
        '\u{0300}'..='\u{036f}'
            | '\u{0483}'..='\u{0489}'
            | '\u{0591}'..='\u{05bd}'
            | '\u{0610}'..='\u{061a}'
            | '\u{064b}'..='\u{065f}'
            | '\u{1ab0}'..='\u{1aff}'
            | '\u{1dc0}'..='\u{1dff}'
            | '\u{20d0}'..='\u{20ff}'
            | '\u{fe20}'..='\u{fe2f}'
    )
}

/// True when the text needs the slow path: something to escape, or a run of
/// combining marks longer than [`MAX_COMBINING`].
fn needs_work(s: &str, keep_newlines: bool) -> bool {
    let mut run = 0;
    for c in s.chars() {
        if is_combining(c) {
            run += 1;
            if run > MAX_COMBINING {
                return true;
            }
            continue;
        }
        run = 0;
        if is_dangerous(c) && !(keep_newlines && c == '\n') {
            return true;
        }
    }
    false
}

/// One-line form: newlines and tabs are escaped too.
pub fn sanitize(s: &str) -> Cow<'_, str> {
    if !needs_work(s, false) {
        return Cow::Borrowed(s);
    }
    Cow::Owned(rewrite(s, false))
}

fn rewrite(s: &str, multiline: bool) -> String {
    let mut out = String::with_capacity(s.len() + 8);
    let mut run = 0;
    for c in s.chars() {
        if is_combining(c) {
            run += 1;
            if run <= MAX_COMBINING {
                out.push(c);
            }
            continue;
        }
        run = 0;
        push_char(&mut out, c, multiline);
    }
    out
}

/// Multi-line form: keeps `\n` (and turns tabs into spaces); escapes the rest.
pub fn sanitize_multiline(s: &str) -> Cow<'_, str> {
    if !needs_work(s, true) {
        return Cow::Borrowed(s);
    }
    Cow::Owned(rewrite(s, true))
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

    #[test]
    fn escapes_invisible_formatting_and_cuts_combining_runs() {
        for c in [
            '\u{061c}',
            '\u{200b}',
            '\u{200d}',
            '\u{2060}',
            '\u{feff}',
            '\u{2028}',
            '\u{2029}',
            '\u{e0041}',
        ] {
            let s = format!("a{c}b");
            let out = sanitize(&s);
            assert!(!out.contains(c), "{c:?} passed through");
            assert!(out.contains("\\u{"), "{out}");
        }
        let zalgo = format!("x{}y", "\u{0301}".repeat(150));
        let out = sanitize(&zalgo);
        assert_eq!(
            out.chars().filter(|&c| c == '\u{0301}').count(),
            MAX_COMBINING
        );
        assert!(out.starts_with('x') && out.ends_with('y'));
        assert_eq!(sanitize("é"), "é", "a precomposed letter is untouched");
        assert_eq!(
            sanitize("e\u{0301}"),
            "e\u{0301}",
            "one combining mark is kept"
        );
    }
}
