//! A step's conversation — system instructions, input and output messages with their
//! tool calls and tool results — normalised to the OTel part model (§4, §6.4) from
//! whichever form the span carries: `gen_ai.*.messages` attributes (JSON or structured),
//! the `operation.details` event, OpenInference and OpenLLMetry flattened keys, the old
//! per-message events, `gen_ai.prompt`/`completion`, Vercel AI SDK blobs, or plain
//! `input.value`/`output.value`. Decoded on demand, when a step is shown.

use crate::model::{Attr, AttrValue, Span, TraceSet};
use serde_json::{Map, Value};
use std::collections::BTreeMap;

/// One part of a message.
#[derive(Clone, Debug, PartialEq)]
pub enum Part {
    /// Text.
    Text(String),
    /// Reasoning / thinking text.
    Reasoning(String),
    /// The model asks for a tool.
    ToolCall {
        /// Call id.
        id: Option<String>,
        /// Tool name.
        name: String,
        /// Arguments.
        arguments: Value,
    },
    /// A tool's result sent back to the model.
    ToolResponse {
        /// Call id.
        id: Option<String>,
        /// The result.
        response: Value,
    },
    /// Anything else, kept as it came.
    Other(Value),
}

/// One message.
#[derive(Clone, Debug, PartialEq, Default)]
pub struct Message {
    /// `system`, `user`, `assistant`, `tool`, or what the producer wrote.
    pub role: String,
    /// Its parts, in order.
    pub parts: Vec<Part>,
    /// The finish reason of an output message, when given.
    pub finish_reason: Option<String>,
}

/// The conversation of one step.
#[derive(Clone, Debug, PartialEq, Default)]
pub struct Conversation {
    /// Separately supplied system instructions.
    pub system: Vec<Part>,
    /// Input messages.
    pub input: Vec<Message>,
    /// Output messages (one per choice).
    pub output: Vec<Message>,
    /// Which form the messages were read from.
    pub source: &'static str,
    /// The content is stored by reference and none of it could be read here (a
    /// remote URI, a missing file): what is shown is only where it is.
    pub unread_reference: bool,
}

impl Conversation {
    /// True when nothing was found.
    pub fn is_empty(&self) -> bool {
        self.system.is_empty() && self.input.is_empty() && self.output.is_empty()
    }
}

fn attr_json(set: &TraceSet, v: &AttrValue) -> Value {
    match v.as_str(&set.strings) {
        Some(s) => serde_json::from_str(s).unwrap_or_else(|_| Value::String(s.to_owned())),
        None => v.to_json(&set.strings),
    }
}

fn find<'a>(set: &TraceSet, attrs: &'a [Attr], key: &str) -> Option<&'a AttrValue> {
    let sym = set.strings.lookup(key)?;
    attrs.iter().find(|a| a.key == sym).map(|a| &a.value)
}

/// The conversation of span `span`.
pub fn conversation(set: &TraceSet, span: &Span) -> Conversation {
    let attrs = set.span_attrs(span);
    // 1. and 2.: OTel attributes on the span, then on the operation.details event.
    let mut sources: Vec<(&[Attr], &'static str)> =
        vec![(attrs, "gen_ai.input.messages / gen_ai.output.messages")];
    for e in set.span_events(span) {
        if set.str(e.name) == "gen_ai.client.inference.operation.details" {
            sources.push((
                &set.attrs[e.attrs.range()],
                "event gen_ai.client.inference.operation.details",
            ));
        }
    }
    for (src, label) in sources {
        let mut c = Conversation {
            source: label,
            ..Conversation::default()
        };
        if let Some(v) = find(set, src, "gen_ai.system_instructions") {
            c.system = parts_of(&attr_json(set, v));
        }
        if let Some(v) = find(set, src, "gen_ai.input.messages") {
            c.input = messages_of(&attr_json(set, v));
        }
        if let Some(v) = find(set, src, "gen_ai.output.messages") {
            c.output = messages_of(&attr_json(set, v));
        }
        if !c.is_empty() {
            return c;
        }
    }
    // 1b. Content stored by reference: a local file is read (read-only), a remote
    // URI is named, never fetched.
    if let Some(c) = by_reference(set, span) {
        return c;
    }
    // 3. OpenInference flattened.
    let c = Conversation {
        input: flattened(set, attrs, "llm.input_messages.", "message."),
        output: flattened(set, attrs, "llm.output_messages.", "message."),
        source: "llm.input_messages.* / llm.output_messages.*",
        ..Conversation::default()
    };
    if !c.is_empty() {
        return c;
    }
    // 4. OpenLLMetry flattened.
    let c = Conversation {
        input: flattened(set, attrs, "gen_ai.prompt.", ""),
        output: flattened(set, attrs, "gen_ai.completion.", ""),
        source: "gen_ai.prompt.* / gen_ai.completion.*",
        ..Conversation::default()
    };
    if !c.is_empty() {
        return c;
    }
    // 5. The old per-message events.
    let c = old_events(set, span);
    if !c.is_empty() {
        return c;
    }
    // 6. gen_ai.prompt / gen_ai.completion JSON strings (attribute or event).
    let mut c = Conversation {
        source: "gen_ai.prompt / gen_ai.completion",
        ..Conversation::default()
    };
    let lookup = |key: &str| -> Option<Value> {
        find(set, attrs, key)
            .map(|v| attr_json(set, v))
            .or_else(|| {
                set.span_events(span).iter().find_map(|e| {
                    find(set, &set.attrs[e.attrs.range()], key).map(|v| attr_json(set, v))
                })
            })
    };
    if let Some(v) = lookup("gen_ai.prompt") {
        c.input = messages_of(&v);
    }
    if let Some(v) = lookup("gen_ai.completion") {
        c.output = messages_of(&v);
    }
    if !c.is_empty() {
        return c;
    }
    // 7. Vercel AI SDK.
    let mut c = Conversation {
        source: "ai.prompt / ai.response",
        ..Conversation::default()
    };
    if let Some(v) = find(set, attrs, "ai.prompt.messages") {
        c.input = messages_of(&attr_json(set, v));
    } else if let Some(v) = find(set, attrs, "ai.prompt") {
        let p = attr_json(set, v);
        if let Some(sys) = p.get("system").and_then(Value::as_str) {
            c.system = vec![Part::Text(sys.to_owned())];
        }
        if let Some(m) = p.get("messages") {
            c.input = messages_of(m);
        } else if let Some(t) = p.get("prompt") {
            c.input = vec![Message {
                role: "user".into(),
                parts: parts_of(t),
                finish_reason: None,
            }];
        }
    }
    let mut out_parts = Vec::new();
    if let Some(t) = find(set, attrs, "ai.response.text").and_then(|v| v.as_str(&set.strings)) {
        out_parts.push(Part::Text(t.to_owned()));
    }
    if let Some(v) = find(set, attrs, "ai.response.toolCalls")
        && let Value::Array(calls) = attr_json(set, v)
    {
        out_parts.extend(calls.iter().map(part_of));
    }
    if !out_parts.is_empty() {
        c.output.push(Message {
            role: "assistant".into(),
            parts: out_parts,
            finish_reason: find(set, attrs, "ai.response.finishReason")
                .and_then(|v| v.as_str(&set.strings))
                .map(str::to_owned),
        });
    }
    if !c.is_empty() {
        return c;
    }
    // 8. Claude Code: the turn's prompt on its interaction span (with
    // OTEL_LOG_USER_PROMPTS=1), else on its `user_prompt` event.
    let prompt = find(set, attrs, "user_prompt")
        .or_else(|| {
            set.span_events(span).iter().find_map(|e| {
                (set.str(e.name) == "user_prompt")
                    .then(|| find(set, &set.attrs[e.attrs.range()], "prompt"))
                    .flatten()
            })
        })
        .and_then(|v| v.as_str(&set.strings))
        .filter(|p| !p.is_empty() && *p != "<REDACTED>");
    if let Some(p) = prompt {
        return Conversation {
            source: "user_prompt (Claude Code)",
            input: vec![Message {
                role: "user".into(),
                parts: vec![Part::Text(p.to_owned())],
                finish_reason: None,
            }],
            ..Conversation::default()
        };
    }
    // 9. Generic input/output values.
    let mut c = Conversation {
        source: "input.value / output.value",
        ..Conversation::default()
    };
    if let Some(v) = find(set, attrs, "input.value") {
        c.input = vec![Message {
            role: "input".into(),
            parts: vec![plain_part(set, v)],
            finish_reason: None,
        }];
    }
    if let Some(v) = find(set, attrs, "output.value") {
        c.output = vec![Message {
            role: "output".into(),
            parts: vec![plain_part(set, v)],
            finish_reason: None,
        }];
    }
    if c.is_empty() {
        c.source = "";
    }
    c
}

/// The conversation of the model call `span` records: its own, or, when it has none,
/// that of another record of the same call ([`crate::model::Step::same_call_as`]:
/// traceloop's span keeps the messages, the provider SDK's own span the exchange).
pub fn call_conversation(set: &TraceSet, span: &Span) -> Conversation {
    let own = conversation(set, span);
    if !own.is_empty() {
        return own;
    }
    let Some(i) = set.span_at(span.trace_id, span.span_id) else {
        return own;
    };
    let twins = set.step(i).same_call_as.into_iter().chain(
        set.traces
            .get(span.trace as usize)
            .into_iter()
            .flat_map(|tr| {
                set.trace_spans(tr)
                    .iter()
                    .copied()
                    .filter(|&j| set.step(j).same_call_as == Some(i))
            }),
    );
    for j in twins {
        let c = conversation(set, &set.spans[j as usize]);
        if !c.is_empty() {
            return c;
        }
    }
    own
}

fn plain_part(set: &TraceSet, v: &AttrValue) -> Part {
    match attr_json(set, v) {
        Value::String(s) => Part::Text(s),
        other => Part::Other(other),
    }
}

/// Messages from a JSON value: an array of messages (OTel or OpenAI-like), or one.
pub fn messages_of(v: &Value) -> Vec<Message> {
    match v {
        Value::Array(items) => items.iter().map(message_of).collect(),
        Value::Object(_) => vec![message_of(v)],
        Value::String(s) => vec![Message {
            role: String::new(),
            parts: vec![Part::Text(s.clone())],
            finish_reason: None,
        }],
        _ => Vec::new(),
    }
}

fn message_of(v: &Value) -> Message {
    let Some(o) = v.as_object() else {
        return Message {
            parts: vec![Part::Other(v.clone())],
            ..Message::default()
        };
    };
    let mut m = Message {
        role: o
            .get("role")
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_owned(),
        finish_reason: o
            .get("finish_reason")
            .or_else(|| o.get("finishReason"))
            .and_then(Value::as_str)
            .filter(|s| !s.is_empty())
            .map(str::to_owned),
        ..Message::default()
    };
    if let Some(parts) = o.get("parts") {
        m.parts = parts_of(parts);
    } else if let Some(content) = o.get("content") {
        m.parts = parts_of(content);
    } else if let Some(msg) = o.get("message") {
        // gen_ai.choice body: {index, finish_reason, message: {role, content}}
        let inner = message_of(msg);
        if m.role.is_empty() {
            m.role = inner.role;
        }
        m.parts = inner.parts;
    }
    if let Some(Value::Array(calls)) = o.get("tool_calls") {
        m.parts.extend(calls.iter().map(openai_tool_call));
    }
    if let Some(id) = o.get("tool_call_id").and_then(Value::as_str)
        && m.role == "tool"
    {
        let response = m
            .parts
            .iter()
            .map(|p| match p {
                Part::Text(t) => Value::String(t.clone()),
                Part::Other(v) => v.clone(),
                _ => Value::Null,
            })
            .next()
            .unwrap_or(Value::Null);
        m.parts = vec![Part::ToolResponse {
            id: Some(id.to_owned()),
            response,
        }];
    }
    m
}

fn openai_tool_call(v: &Value) -> Part {
    let f = v.get("function").unwrap_or(v);
    Part::ToolCall {
        id: v.get("id").and_then(Value::as_str).map(str::to_owned),
        name: f
            .get("name")
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_owned(),
        arguments: json_or_string(f.get("arguments").cloned().unwrap_or(Value::Null)),
    }
}

/// A string that holds JSON becomes that JSON; anything else stays.
fn json_or_string(v: Value) -> Value {
    match &v {
        Value::String(s) => serde_json::from_str(s).unwrap_or(v),
        _ => v,
    }
}

/// Largest referenced content file read.
const MAX_REF_BYTES: u64 = 16 << 20;

/// The conversation of a span whose content was stored elsewhere
/// (`gen_ai.input.messages_ref`, `gen_ai.output.messages_ref`,
/// `gen_ai.system_instructions_ref`, on the span or its
/// `gen_ai.content.storage.result` event): `file://` URIs and plain paths (relative to
/// the dump's folder) are read; anything else is shown as the reference it is.
fn by_reference(set: &TraceSet, span: &Span) -> Option<Conversation> {
    let mut lists: Vec<&[Attr]> = vec![set.span_attrs(span)];
    for e in set.span_events(span) {
        if set.str(e.name) == "gen_ai.content.storage.result" {
            lists.push(&set.attrs[e.attrs.range()]);
        }
    }
    let get = |key: &str| {
        lists
            .iter()
            .find_map(|l| find(set, l, key).and_then(|v| v.as_str(&set.strings)))
    };
    let (sys, input, output) = (
        get("gen_ai.system_instructions_ref"),
        get("gen_ai.input.messages_ref"),
        get("gen_ai.output.messages_ref"),
    );
    if sys.is_none() && input.is_none() && output.is_none() {
        return None;
    }
    let base = set
        .sources
        .get(span.source as usize)
        .map(std::path::Path::new)
        .and_then(std::path::Path::parent)
        .map(std::path::Path::to_path_buf)
        .unwrap_or_default();
    let mut c = Conversation {
        source: "gen_ai.*_ref (content stored by reference)",
        ..Conversation::default()
    };
    let mut read_any = false;
    if let Some(r) = sys {
        c.system = match read_ref(&base, r) {
            Ok(v) => {
                read_any = true;
                parts_of(&v)
            }
            Err(why) => vec![Part::Text(why)],
        };
    }
    for (r, slot, role) in [
        (input, &mut c.input, "user"),
        (output, &mut c.output, "assistant"),
    ] {
        let Some(r) = r else { continue };
        *slot = match read_ref(&base, r) {
            Ok(v) => {
                read_any = true;
                messages_of(&v)
            }
            Err(why) => vec![Message {
                role: role.into(),
                parts: vec![Part::Text(why)],
                finish_reason: None,
            }],
        };
    }
    c.unread_reference = !read_any;
    Some(c)
}

/// Reads referenced content: JSON from a local file. The error is the line to show.
fn read_ref(base: &std::path::Path, uri: &str) -> Result<Value, String> {
    let shown = crate::sanitize::sanitize(uri).into_owned();
    let path = if let Some(p) = uri.strip_prefix("file://") {
        std::path::PathBuf::from(p)
    } else if uri.contains("://") {
        return Err(format!(
            "[stored at {shown}; remote content is not fetched]"
        ));
    } else {
        base.join(uri)
    };
    let meta = std::fs::metadata(&path).map_err(|e| format!("[stored at {shown}: {e}]"))?;
    if !meta.is_file() || meta.len() > MAX_REF_BYTES {
        return Err(format!("[stored at {shown}: not a file of at most 16 MiB]"));
    }
    let text = std::fs::read_to_string(&path).map_err(|e| format!("[stored at {shown}: {e}]"))?;
    Ok(serde_json::from_str(&text).unwrap_or(Value::String(text)))
}

/// Parts from message content: a string, an array of parts, or one part object.
pub fn parts_of(v: &Value) -> Vec<Part> {
    match v {
        Value::Null => Vec::new(),
        Value::String(s) => vec![Part::Text(s.clone())],
        Value::Array(items) => items.iter().map(part_of).collect(),
        other => vec![part_of(other)],
    }
}

fn part_of(v: &Value) -> Part {
    let Some(o) = v.as_object() else {
        return match v {
            Value::String(s) => Part::Text(s.clone()),
            other => Part::Other(other.clone()),
        };
    };
    let text = |o: &Map<String, Value>| {
        o.get("content")
            .or_else(|| o.get("text"))
            .and_then(Value::as_str)
            .map(str::to_owned)
    };
    let id = |o: &Map<String, Value>| {
        o.get("id")
            .or_else(|| o.get("toolCallId"))
            .or_else(|| o.get("tool_use_id"))
            .and_then(Value::as_str)
            .map(str::to_owned)
    };
    let ty = o.get("type").and_then(Value::as_str).unwrap_or("");
    match ty {
        "text" | "" if text(o).is_some() => Part::Text(text(o).unwrap_or_default()),
        "reasoning" | "thinking" => Part::Reasoning(text(o).unwrap_or_default()),
        "tool_call" | "tool-call" | "tool_use" | "function_call" => Part::ToolCall {
            id: id(o),
            name: o
                .get("name")
                .or_else(|| o.get("toolName"))
                .and_then(Value::as_str)
                .unwrap_or("")
                .to_owned(),
            arguments: json_or_string(
                o.get("arguments")
                    .or_else(|| o.get("input"))
                    .or_else(|| o.get("args"))
                    .cloned()
                    .unwrap_or(Value::Null),
            ),
        },
        "tool_call_response" | "tool-result" | "tool_result" | "function_call_output" => {
            Part::ToolResponse {
                id: id(o),
                response: json_or_string(
                    o.get("response")
                        .or_else(|| o.get("result"))
                        .or_else(|| o.get("output"))
                        .or_else(|| o.get("content"))
                        .cloned()
                        .unwrap_or(Value::Null),
                ),
            }
        }
        // A part of a kind the conventions do not define (its kind in generic_type).
        "generic" => match text(o) {
            Some(t) => {
                let kind = o
                    .get("generic_type")
                    .and_then(Value::as_str)
                    .unwrap_or("generic");
                Part::Text(format!("[{kind}] {t}"))
            }
            None => Part::Other(v.clone()),
        },
        // Media by reference or inline: named, not dumped.
        "uri" | "file" | "blob" => {
            let modality = o
                .get("modality")
                .or_else(|| o.get("mime_type"))
                .and_then(Value::as_str)
                .unwrap_or("media");
            let at = o
                .get("uri")
                .or_else(|| o.get("file_id"))
                .and_then(Value::as_str)
                .map(|u| format!(" {u}"))
                .unwrap_or_else(|| " (inline)".into());
            Part::Text(format!("[{modality} {ty}{at}]"))
        }
        _ if o.contains_key("function") => openai_tool_call(v),
        _ => Part::Other(v.clone()),
    }
}

/// Flattened messages: `<prefix><i>.<inner><field>` (OpenInference uses inner
/// `message.`, OpenLLMetry none). Tool calls live under `tool_calls.<k>.`.
fn flattened(set: &TraceSet, attrs: &[Attr], prefix: &str, inner: &str) -> Vec<Message> {
    let mut by_index: BTreeMap<usize, BTreeMap<String, Value>> = BTreeMap::new();
    for a in attrs {
        let key = set.str(a.key);
        let Some(rest) = key.strip_prefix(prefix) else {
            continue;
        };
        let Some((idx, field)) = rest.split_once('.') else {
            continue;
        };
        let Ok(idx) = idx.parse::<usize>() else {
            continue;
        };
        let field = field.strip_prefix(inner).unwrap_or(field);
        by_index
            .entry(idx)
            .or_default()
            .insert(field.to_owned(), a.value.to_json(&set.strings));
    }
    by_index
        .into_values()
        .map(|fields| {
            let s = |k: &str| fields.get(k).and_then(Value::as_str).map(str::to_owned);
            let mut m = Message {
                role: s("role").unwrap_or_default(),
                finish_reason: s("finish_reason"),
                ..Message::default()
            };
            if let Some(c) = fields.get("content") {
                m.parts.push(match c {
                    Value::String(t) => Part::Text(t.clone()),
                    other => Part::Other(other.clone()),
                });
            }
            // OI multi-part contents: contents.<j>.message_content.{type,text}
            let mut contents: BTreeMap<usize, Map<String, Value>> = BTreeMap::new();
            let mut calls: BTreeMap<usize, Map<String, Value>> = BTreeMap::new();
            for (k, v) in &fields {
                if let Some(rest) = k.strip_prefix("contents.")
                    && let Some((j, f)) = rest.split_once('.')
                    && let Ok(j) = j.parse::<usize>()
                {
                    let f = f.strip_prefix("message_content.").unwrap_or(f);
                    contents
                        .entry(j)
                        .or_default()
                        .insert(f.to_owned(), v.clone());
                }
                if let Some(rest) = k.strip_prefix("tool_calls.")
                    && let Some((j, f)) = rest.split_once('.')
                    && let Ok(j) = j.parse::<usize>()
                {
                    let f = f.strip_prefix("tool_call.").unwrap_or(f);
                    let f = f.strip_prefix("function.").unwrap_or(f);
                    calls.entry(j).or_default().insert(f.to_owned(), v.clone());
                }
            }
            for c in contents.into_values() {
                m.parts.push(part_of(&Value::Object(c)));
            }
            for c in calls.into_values() {
                m.parts.push(Part::ToolCall {
                    id: c.get("id").and_then(Value::as_str).map(str::to_owned),
                    name: c
                        .get("name")
                        .and_then(Value::as_str)
                        .unwrap_or("")
                        .to_owned(),
                    arguments: json_or_string(c.get("arguments").cloned().unwrap_or(Value::Null)),
                });
            }
            if let Some(id) = s("tool_call_id") {
                let response = match m.parts.first() {
                    Some(Part::Text(t)) => Value::String(t.clone()),
                    _ => Value::Null,
                };
                m.parts = vec![Part::ToolResponse {
                    id: Some(id),
                    response,
                }];
            }
            m
        })
        .collect()
}

/// The ≤ v1.36 per-message events: `gen_ai.{system,user,assistant,tool}.message` and
/// `gen_ai.choice`, fields in the event attributes.
fn old_events(set: &TraceSet, span: &Span) -> Conversation {
    let mut c = Conversation {
        source: "events gen_ai.*.message / gen_ai.choice",
        ..Conversation::default()
    };
    for e in set.span_events(span) {
        let name = set.str(e.name);
        let attrs = &set.attrs[e.attrs.range()];
        let mut obj = Map::new();
        for a in attrs {
            let k = set.str(a.key);
            let k = k.strip_prefix("gen_ai.event.").unwrap_or(k);
            obj.insert(k.to_owned(), json_or_string(a.value.to_json(&set.strings)));
        }
        let role = match name {
            "gen_ai.system.message" => "system",
            "gen_ai.user.message" => "user",
            "gen_ai.assistant.message" => "assistant",
            "gen_ai.tool.message" => "tool",
            "gen_ai.choice" => {
                let mut m = message_of(&Value::Object(obj));
                if m.role.is_empty() {
                    m.role = "assistant".into();
                }
                c.output.push(m);
                continue;
            }
            _ => continue,
        };
        obj.entry("role")
            .or_insert_with(|| Value::String(role.to_owned()));
        if role == "tool"
            && let Some(id) = obj.get("id").cloned()
        {
            obj.insert("tool_call_id".into(), id);
        }
        c.input.push(message_of(&Value::Object(obj)));
    }
    c
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn otel_parts() {
        let msgs = messages_of(&json!([
            {"role": "system", "parts": [{"type": "text", "content": "You are terse."}]},
            {"role": "assistant", "parts": [
                {"type": "reasoning", "content": "Need the tool."},
                {"type": "tool_call", "id": "call_1", "name": "get_weather", "arguments": {"location": "Paris"}}]},
            {"role": "tool", "parts": [{"type": "tool_call_response", "id": "call_1", "result": "rainy"}]}
        ]));
        assert_eq!(msgs.len(), 3);
        assert_eq!(msgs[0].parts, vec![Part::Text("You are terse.".into())]);
        assert_eq!(
            msgs[1].parts[1],
            Part::ToolCall {
                id: Some("call_1".into()),
                name: "get_weather".into(),
                arguments: json!({"location": "Paris"})
            }
        );
        assert_eq!(
            msgs[2].parts[0],
            Part::ToolResponse {
                id: Some("call_1".into()),
                response: json!("rainy")
            }
        );
    }

    #[test]
    fn openai_style_messages() {
        let msgs = messages_of(&json!([
            {"role": "assistant", "content": null, "tool_calls": [{"id": "c1", "type": "function", "function": {"name": "f", "arguments": "{\"a\":1}"}}]},
            {"role": "tool", "tool_call_id": "c1", "content": "42"}
        ]));
        assert_eq!(
            msgs[0].parts,
            vec![Part::ToolCall {
                id: Some("c1".into()),
                name: "f".into(),
                arguments: json!({"a": 1})
            }]
        );
        assert_eq!(
            msgs[1].parts,
            vec![Part::ToolResponse {
                id: Some("c1".into()),
                response: json!("42")
            }]
        );
    }
}
