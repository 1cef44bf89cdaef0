//! What a turn of a conversation said: the user's input that started it and the final
//! answer, read from its model calls' messages, for the session view's rows.

use crate::model::{StepKind, TraceSet};
use crate::semconv::messages::{Message, Part, conversation};

/// The two ends of one turn (a trace); either may be missing.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct TurnText {
    /// The last user message the first model call was given.
    pub input: Option<String>,
    /// The last assistant text the last answering model call produced.
    pub answer: Option<String>,
}

/// The text parts of a message, joined with spaces.
fn text(m: &Message) -> Option<String> {
    let t: Vec<&str> = m
        .parts
        .iter()
        .filter_map(|p| match p {
            Part::Text(s) => Some(s.as_str()),
            _ => None,
        })
        .collect();
    let joined = t.join(" ");
    let trimmed = joined.trim();
    (!trimmed.is_empty()).then(|| trimmed.to_owned())
}

/// The input and the answer of trace `t`.
pub fn turn_text(set: &TraceSet, t: u32) -> TurnText {
    let Some(tr) = set.traces.get(t as usize) else {
        return TurnText::default();
    };
    let mut out = TurnText::default();
    let mut spans: Vec<u32> = set
        .trace_spans(tr)
        .iter()
        .copied()
        .filter(|&i| set.step(i).kind == StepKind::Llm)
        .collect();
    spans.sort_by_key(|&i| set.spans[i as usize].start);
    for &i in &spans {
        let c = conversation(set, &set.spans[i as usize]);
        if out.input.is_none() {
            out.input = c
                .input
                .iter()
                .rev()
                .filter(|m| m.role == "user")
                .find_map(text);
        }
        if let Some(a) = c
            .output
            .iter()
            .rev()
            .filter(|m| m.role == "assistant" || m.role.is_empty())
            .find_map(text)
        {
            out.answer = Some(a);
        }
    }
    out
}
