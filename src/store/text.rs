//! What the full-text index gets for a span's message attributes: for JSON payloads
//! (message lists, tool arguments and results) only the string values, not the keys
//! every message repeats (`role`, `parts`, `content`…), so a search for a word finds
//! the spans that say it and the index stays small. Anything else goes in as it is.

/// Appends the searchable text of one attribute value to `out`.
pub fn push_searchable(out: &mut String, text: &str) {
    let t = text.trim_start();
    if !(t.starts_with('[') || t.starts_with('{')) {
        out.push_str(text);
        out.push('\n');
        return;
    }
    let b = text.as_bytes();
    let mut i = 0;
    while let Some(q) = memchr::memchr(b'"', &b[i..]) {
        let start = i + q + 1;
        // The closing quote: the first one not escaped by a backslash.
        let mut end = start;
        loop {
            match memchr::memchr2(b'"', b'\\', &b[end..]) {
                Some(k) if b[end + k] == b'\\' => end += k + 2,
                Some(k) => {
                    end += k;
                    break;
                }
                None => {
                    end = b.len();
                    break;
                }
            }
        }
        let end = end.min(b.len());
        let after = b[end.saturating_add(1).min(b.len())..]
            .iter()
            .find(|c| !c.is_ascii_whitespace());
        if after != Some(&b':')
            && let Some(value) = text.get(start..end)
        {
            out.push_str(value);
            out.push(' ');
        }
        i = end + 1;
        if i >= b.len() {
            break;
        }
    }
    out.push('\n');
}

#[cfg(test)]
mod tests {
    use super::push_searchable;

    fn searchable(s: &str) -> String {
        let mut out = String::new();
        push_searchable(&mut out, s);
        out
    }

    #[test]
    fn json_keeps_values_and_drops_keys() {
        let s = searchable(
            r#"[{"role":"user","parts":[{"type":"text","content":"where is my \"refund\"?"}]}]"#,
        );
        assert!(
            s.contains("user") && s.contains(r#"where is my \"refund\"?"#),
            "{s}"
        );
        assert!(
            !s.contains("role") && !s.contains("parts") && !s.contains("content"),
            "{s}"
        );
    }

    #[test]
    fn plain_text_and_broken_json_are_kept() {
        assert_eq!(searchable("just words"), "just words\n");
        let s = searchable(r#"{"q": "unterminated"#);
        assert!(s.contains("unterminated"), "{s}");
        assert_eq!(searchable("[1, 2]"), "\n");
        assert!(searchable(r#"{"a":"x\\"}"#).contains(r"x\\"));
    }
}
