//! Full-text search over what a span says: its status message, its string attribute
//! values (prompts, completions, tool arguments and results, `input.value`…) and its
//! events (exception messages). Case-insensitive substring, no index: a filter walks
//! the spans; the matcher tests each interned string once, long texts as they come.

use crate::model::{AttrValue, Span, Sym, TraceSet};

/// A piece of a span's text: an interned string (worth memoizing) or a long text.
pub enum Piece<'a> {
    /// An interned string.
    Sym(Sym),
    /// A long text from the text arena.
    Text(&'a str),
}

/// Calls `hit` on each piece of text of `span` until it returns true.
pub fn any_piece<'a>(
    set: &'a TraceSet,
    span: &Span,
    hit: &mut impl FnMut(Piece<'a>) -> bool,
) -> bool {
    if !span.status_message.is_empty() && hit(Piece::Sym(span.status_message)) {
        return true;
    }
    if set
        .span_attrs(span)
        .iter()
        .any(|a| value(set, &a.value, hit))
    {
        return true;
    }
    set.span_events(span).iter().any(|e| {
        hit(Piece::Sym(e.name))
            || set.attrs[e.attrs.range()]
                .iter()
                .any(|a| value(set, &a.value, hit))
    })
}

fn value<'a>(set: &'a TraceSet, v: &AttrValue, hit: &mut impl FnMut(Piece<'a>) -> bool) -> bool {
    match v {
        AttrValue::Str(s) => hit(Piece::Sym(*s)),
        AttrValue::Text(t) => hit(Piece::Text(set.strings.text(*t))),
        AttrValue::Array(items) => items.iter().any(|x| value(set, x, hit)),
        AttrValue::KvList(kv) => kv.iter().any(|(_, x)| value(set, x, hit)),
        _ => false,
    }
}

/// Calls `found(i)` for each string `i` of strings packed back to back in `buf`
/// (string `i` ending at `ends[i]`, starting at the end of the one before) that
/// contains `needle` (already lower case, ASCII), ignoring case: one pass over the
/// whole buffer instead of one search per string, which at millions of short
/// strings is most of a text filter's time. Strings `first..` of `ends` are searched.
pub fn packed_containing_ci(
    buf: &str,
    ends: &[usize],
    first: usize,
    needle: &str,
    found: &mut impl FnMut(usize),
) {
    let (h, n) = (buf.as_bytes(), needle.as_bytes());
    if ends.len() <= first {
        return;
    }
    if n.is_empty() {
        (first..ends.len()).for_each(found);
        return;
    }
    let lo = if first == 0 { 0 } else { ends[first - 1] };
    let hi = ends[ends.len() - 1];
    let Some(region) = h.get(lo..hi) else {
        return;
    };
    if n.len() > region.len() {
        return;
    }
    let (at, rare) = rarest(n);
    let last_start = region.len() - n.len();
    let mut last_found = usize::MAX;
    for p in memchr::memchr2_iter(
        rare,
        rare.to_ascii_uppercase(),
        &region[at..=last_start + at],
    ) {
        if !region[p..p + n.len()].eq_ignore_ascii_case(n) {
            continue;
        }
        // The string the match starts in; it counts only if it ends there too.
        let abs = lo + p;
        let i = first + ends[first..].partition_point(|&e| e <= abs);
        if i != last_found && i < ends.len() && abs + n.len() <= ends[i] {
            last_found = i;
            found(i);
        }
    }
}

/// True when `hay` contains `needle` (already lower case), ignoring case.
pub fn contains_ci(hay: &str, needle: &str) -> bool {
    if needle.is_empty() {
        return true;
    }
    if !needle.is_ascii() {
        return hay.to_lowercase().contains(needle);
    }
    let (h, n) = (hay.as_bytes(), needle.as_bytes());
    if n.len() > h.len() {
        return false;
    }
    let (at, rare) = rarest(n);
    let last_start = h.len() - n.len();
    memchr::memchr2_iter(rare, rare.to_ascii_uppercase(), &h[at..=last_start + at])
        .any(|p| h[p..p + n.len()].eq_ignore_ascii_case(n))
}

/// Where in `needle` its rarest byte in English text is, and the byte:
/// searching for it and comparing around each hit gives far fewer candidates than
/// its first letter would.
fn rarest(needle: &[u8]) -> (usize, u8) {
    needle
        .iter()
        .copied()
        .enumerate()
        .max_by_key(|&(_, b)| rarity(b))
        .unwrap_or((0, b' '))
}

/// How rare a (lower-case) byte is in English text: letters by frequency, anything
/// else rarer than any letter.
fn rarity(b: u8) -> u8 {
    const BY_FREQUENCY: &[u8] = b" etaoinshrdlcumwfgypbvkjxqz";
    match BY_FREQUENCY.iter().position(|&c| c == b) {
        Some(i) => i as u8,
        None => 100,
    }
}

#[cfg(test)]
mod tests {
    use super::{contains_ci, packed_containing_ci};

    #[test]
    fn case_insensitive_substring() {
        assert!(contains_ci("Payment gateway TIMEOUT after 30s", "timeout"));
        assert!(contains_ci(
            "customer not found: c-77",
            "customer not found"
        ));
        assert!(!contains_ci("customer found", "not found"));
        assert!(contains_ci("Größe ÜBER", "über"));
        assert!(!contains_ci("ab", "abc"));
        assert!(contains_ci("x", ""));
    }

    #[test]
    fn one_pass_over_packed_strings_finds_what_a_search_per_string_finds() {
        let strings = [
            "",
            "timeout",
            "TimeOut here",
            "time",
            "out",
            "a timeou",
            "t",
            "xTIMEOUTx",
            "timeout timeout",
            "tim",
            "eout",
            "nothing",
            "Timeout",
        ];
        let mut buf = String::new();
        let mut ends = Vec::new();
        for s in strings {
            buf.push_str(s);
            ends.push(buf.len());
        }
        for needle in ["timeout", "t", "out", "zz", "e", ""] {
            for first in 0..strings.len() {
                let mut got = Vec::new();
                packed_containing_ci(&buf, &ends, first, needle, &mut |i| got.push(i));
                let want: Vec<usize> = (first..strings.len())
                    .filter(|&i| contains_ci(strings[i], needle))
                    .collect();
                assert_eq!(got, want, "{needle:?} from {first}");
            }
        }
    }
}
