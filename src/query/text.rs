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
    // Look for the needle's rarest byte (in English text), then compare around it:
    // far fewer candidates than its first letter gives.
    let (at, rare) = n
        .iter()
        .copied()
        .enumerate()
        .max_by_key(|&(_, b)| rarity(b))
        .unwrap_or((0, n[0]));
    let last_start = h.len() - n.len();
    memchr::memchr2_iter(rare, rare.to_ascii_uppercase(), &h[at..=last_start + at])
        .any(|p| h[p..p + n.len()].eq_ignore_ascii_case(n))
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
    use super::contains_ci;

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
}
