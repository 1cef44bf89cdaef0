//! What the full-text index gets for a trace: every piece of text that `text:` reads
//! in memory ([`crate::query::text::any_piece`]: status messages, string attribute
//! values, event names and attributes), as it is, so a search over the index finds a
//! superset of what the exact matcher finds. Each distinct piece goes in once per
//! trace: an agent sends its system prompt and the conversation so far with every LLM
//! call, and indexing those again would only make the index larger and the import
//! slower.

use crate::model::{Span, TraceSet};
use crate::query::text::{Piece, any_piece};
use rustc_hash::FxHashSet;

/// The pieces of one trace already given to the index.
#[derive(Default)]
pub struct Seen<'s>(FxHashSet<&'s str>);

impl<'s> Seen<'s> {
    /// Starts a new trace.
    pub fn clear(&mut self) {
        self.0.clear();
    }

    /// Appends to `out` the pieces of text of `span` this trace has not had yet, each
    /// followed by a line break.
    pub fn push_span(&mut self, out: &mut String, set: &'s TraceSet, span: &Span) {
        any_piece(set, span, &mut |p| {
            let text = match p {
                Piece::Sym(s) => set.str(s),
                Piece::Text(t) => t,
            };
            self.push(out, text);
            false
        });
    }

    /// Appends `text` and a line break unless this trace has had it already.
    fn push(&mut self, out: &mut String, text: &'s str) {
        if !text.trim().is_empty() && self.0.insert(text) {
            out.push_str(text);
            out.push('\n');
        }
    }
}

#[cfg(test)]
mod tests {
    use super::Seen;

    #[test]
    fn a_piece_goes_in_once_per_trace() {
        let system = r#"[{"type":"text","content":"You are a refunds agent."}]"#;
        let first = r#"[{"role":"user","parts":[{"type":"text","content":"charged twice"}]}]"#;
        let mut seen = Seen::default();
        let mut out = String::new();
        for v in [system, first, system, first, "  "] {
            seen.push(&mut out, v);
        }
        assert_eq!(out.matches("You are a refunds agent.").count(), 1, "{out}");
        assert_eq!(out.matches("charged twice").count(), 1, "{out}");
        assert_eq!(out.lines().count(), 2, "{out}");
        seen.clear();
        let mut next = String::new();
        seen.push(&mut next, system);
        assert!(
            next.contains("You are a refunds agent."),
            "a new trace: {next}"
        );
    }
}
