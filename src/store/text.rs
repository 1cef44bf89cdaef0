//! What the full-text index gets for a trace's message attributes: for JSON payloads
//! (message lists, tool arguments and results) only the string values, not the keys
//! every message repeats (`role`, `parts`, `content`…), so a search for a word finds
//! the traces that say it and the index stays small. Anything else goes in as it is.
//! Each distinct value goes in once per trace: an agent sends its system prompt and
//! the conversation so far with every LLM call, and indexing those again would only
//! make the index larger and the import slower.

use rustc_hash::FxHashSet;

/// The values of one trace already given to the index.
#[derive(Default)]
pub struct Seen<'s>(FxHashSet<&'s str>);

impl<'s> Seen<'s> {
    /// Starts a new trace.
    pub fn clear(&mut self) {
        self.0.clear();
    }

    /// Appends to `out` the searchable values of one attribute value that this trace
    /// has not had yet, then a line break.
    pub fn push(&mut self, out: &mut String, text: &'s str) {
        for_each_value(text, |v| {
            if !v.trim().is_empty() && self.0.insert(v) {
                out.push_str(v);
                out.push(' ');
            }
        });
        out.push('\n');
    }
}

/// Calls `f` with each searchable value of `text`: the string values of a JSON
/// payload, or the whole text.
fn for_each_value<'s>(text: &'s str, mut f: impl FnMut(&'s str)) {
    let t = text.trim_start();
    if !(t.starts_with('[') || t.starts_with('{')) {
        f(text);
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
            f(value);
        }
        i = end + 1;
        if i >= b.len() {
            break;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::Seen;

    fn searchable(s: &str) -> String {
        let mut out = String::new();
        Seen::default().push(&mut out, s);
        out
    }

    #[test]
    fn a_value_goes_in_once_per_trace() {
        let system = r#"[{"type":"text","content":"You are a refunds agent."}]"#;
        let first = r#"[{"role":"user","parts":[{"type":"text","content":"charged twice"}]}]"#;
        let second = r#"[{"role":"user","parts":[{"type":"text","content":"charged twice"}]},{"role":"assistant","parts":[{"type":"text","content":"refunded"}]}]"#;
        let mut seen = Seen::default();
        let mut out = String::new();
        for v in [system, first, system, second] {
            seen.push(&mut out, v);
        }
        assert_eq!(out.matches("You are a refunds agent.").count(), 1, "{out}");
        assert_eq!(out.matches("charged twice").count(), 1, "{out}");
        assert_eq!(out.matches("user").count(), 1, "{out}");
        assert!(out.contains("refunded"), "{out}");
        seen.clear();
        let mut next = String::new();
        seen.push(&mut next, system);
        assert!(
            next.contains("You are a refunds agent."),
            "a new trace: {next}"
        );
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
        assert_eq!(searchable("just words"), "just words \n");
        let s = searchable(r#"{"q": "unterminated"#);
        assert!(s.contains("unterminated"), "{s}");
        assert_eq!(searchable("[1, 2]"), "\n");
        assert!(searchable(r#"{"a":"x\\"}"#).contains(r"x\\"));
    }
}
