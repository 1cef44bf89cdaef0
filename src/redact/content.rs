//! Message and tool payload content: which keys hold it, and the placeholder that
//! replaces it. The placeholder keeps what a reader needs to follow the run (JSON
//! keys, roles, part types, tool and function names, numbers) and says how long each
//! text was, in classes, so "the model got an empty result" stays visible.

use super::Redactor;
use crate::semconv::keys::{Field, MESSAGE_KEYS, names_of};

/// Last key segments that hold content in flattened conventions
/// (`llm.input_messages.0.message.content`, `gen_ai.prompt.0.content`, the `content`
/// attribute of a `gen_ai.user.message` event).
const CONTENT_SEGMENTS: &[&str] = &["content", "arguments", "text", "result", "body"];

/// Whole keys that hold content besides the conventions' message and tool keys.
const CONTENT_KEYS: &[&str] = &[
    "ai.prompt",
    "ai.prompt.messages",
    "ai.response.text",
    "ai.response.object",
    "ai.response.toolCalls",
    "ai.toolCall.args",
    "ai.toolCall.result",
    "gen_ai.content.prompt",
    "gen_ai.content.completion",
    "gen_ai.event.content",
    "llm.prompts",
    "input",
    "output",
];

/// JSON keys whose values are structure, not content: kept (with patterns applied).
const STRUCTURE_KEYS: &[&str] = &[
    "role",
    "type",
    "name",
    "tool_name",
    "function",
    "finish_reason",
    "id",
    "tool_call_id",
    "call_id",
    "mime_type",
    "modality",
];

/// True when the value of `key` is message or tool payload content.
pub fn is_content_key(key: &str) -> bool {
    if MESSAGE_KEYS.contains(&key) || CONTENT_KEYS.contains(&key) {
        return true;
    }
    if names_of(Field::ToolArgs).contains(&key) || names_of(Field::ToolResult).contains(&key) {
        return true;
    }
    let last = key.rsplit('.').next().unwrap_or(key);
    CONTENT_SEGMENTS.contains(&last)
}

/// The length class of `n` characters, as shown in placeholders.
fn length_class(n: usize) -> &'static str {
    match n {
        0 => "empty",
        1..=9 => "<10 chars",
        10..=99 => "10-99 chars",
        100..=999 => "100-999 chars",
        1000..=9999 => "1k-10k chars",
        _ => ">10k chars",
    }
}

fn text_placeholder(s: &str) -> String {
    format!("[redacted text, {}]", length_class(s.chars().count()))
}

/// `v` with its content replaced: JSON keeps its shape (keys, structure values,
/// numbers), every other string becomes a length-class placeholder; text that is not
/// JSON becomes one placeholder.
pub fn placeholder(v: &str, r: &Redactor) -> String {
    let trimmed = v.trim_start();
    if (trimmed.starts_with('{') || trimmed.starts_with('['))
        && let Ok(mut j) = serde_json::from_str::<serde_json::Value>(v)
    {
        mask(&mut j, None, r, 0);
        return j.to_string();
    }
    text_placeholder(v)
}

/// Deepest JSON level walked; below it a value is one placeholder.
const MAX_DEPTH: usize = 64;

fn mask(j: &mut serde_json::Value, key: Option<&str>, r: &Redactor, depth: usize) {
    use serde_json::Value as J;
    if depth > MAX_DEPTH {
        *j = J::String("[redacted: nested]".into());
        return;
    }
    match j {
        J::String(s) => {
            let structure = key.is_some_and(|k| STRUCTURE_KEYS.contains(&k));
            // A JSON document inside a string (tool arguments): masked as JSON.
            let inner = s.trim_start();
            if !structure
                && (inner.starts_with('{') || inner.starts_with('['))
                && let Ok(mut nested) = serde_json::from_str::<J>(s)
            {
                mask(&mut nested, None, r, depth + 1);
                *s = nested.to_string();
            } else if let Some(k) = key.filter(|_| structure) {
                *s = r.value(k, s).into_owned();
            } else {
                *s = text_placeholder(s);
            }
        }
        J::Array(a) => {
            for x in a {
                mask(x, key, r, depth + 1);
            }
        }
        J::Object(o) => {
            for (k, x) in o.iter_mut() {
                mask(x, Some(k.as_str()), r, depth + 1);
            }
            // Keys are data too (an email or a token used as a key).
            if o.keys()
                .any(|k| matches!(r.text(k), std::borrow::Cow::Owned(_)))
            {
                *o = std::mem::take(o)
                    .into_iter()
                    .map(|(k, x)| (r.text(&k).into_owned(), x))
                    .collect();
            }
        }
        J::Number(_) | J::Bool(_) | J::Null => {}
    }
}
