//! Small drawing helpers shared by the screens: padded cells and fuzzy-match
//! highlighting.

use super::theme::Theme;
use crate::format::truncate;
use crate::query::filter::fuzzy_indices;
use ratatui::style::Style;
use ratatui::text::Span;

/// `s` cut to `w` cells and padded on the right.
pub fn pad(s: &str, w: usize) -> String {
    crate::format::pad(&truncate(s, w), w)
}

/// `s` cut to `w` cells and padded on the left.
pub fn pad_left(s: &str, w: usize) -> String {
    crate::format::pad_left(&truncate(s, w), w)
}

/// Spans for `text` with the fuzzy-matched characters highlighted.
pub fn highlighted(text: &str, words: &[&str], base: Style, theme: &Theme) -> Vec<Span<'static>> {
    if words.is_empty() {
        return vec![Span::styled(text.to_owned(), base)];
    }
    let idx = fuzzy_indices(text, words);
    if idx.is_empty() {
        return vec![Span::styled(text.to_owned(), base)];
    }
    text.chars()
        .enumerate()
        .map(|(k, c)| {
            let style = if idx.binary_search(&k).is_ok() {
                base.patch(theme.matched())
            } else {
                base
            };
            Span::styled(c.to_string(), style)
        })
        .collect()
}
