//! The transcript of a run: the conversation across every LLM call of a trace, in
//! order, each message once — agents resend the whole history with every call, so a
//! message already said is not repeated — with the tool calls and results of tool
//! steps inline where the messages do not carry them, and the step each came from.

use crate::model::{StepKind, TraceSet};
use crate::semconv::messages::{Part, conversation};
use rustc_hash::FxHashSet;
use serde_json::Value;

/// One entry of a transcript.
#[derive(Clone, Debug, PartialEq)]
pub struct Entry {
    /// The step (span index) it came from.
    pub span: u32,
    /// `system`, `user`, `assistant`, `tool`… (untrusted: sanitize to print).
    pub role: String,
    /// What it said (only what was not said before).
    pub parts: Vec<Part>,
}

/// A part's identity for "said before": its role and content (tool calls by name and
/// arguments, results by their value, whatever message or step carries them).
fn key(role: &str, p: &Part) -> String {
    let json = |v: &Value| {
        let mut s = String::new();
        super::findings::canonical(v, &mut s);
        s
    };
    match p {
        Part::Text(t) => format!("text\u{0}{role}\u{0}{}", t.trim()),
        Part::Reasoning(t) => format!("reasoning\u{0}{}", t.trim()),
        Part::ToolCall {
            name, arguments, ..
        } => format!("call\u{0}{name}\u{0}{}", json(arguments)),
        Part::ToolResponse { response, .. } => format!("result\u{0}{}", json(response)),
        Part::Other(v) => format!("other\u{0}{role}\u{0}{}", json(v)),
    }
}

/// The transcript of trace `t`.
pub fn transcript(set: &TraceSet, t: u32) -> Vec<Entry> {
    let Some(tr) = set.traces.get(t as usize) else {
        return Vec::new();
    };
    // What each step says, and when: an LLM call's input at its start and output at
    // its end, a tool step's call at its start and result at its end.
    let mut said: Vec<(u64, u32, Said, Entry)> = Vec::new();
    let mut seq = 0u32;
    let mut add = |time: u64, how: Said, span: u32, role: &str, parts: Vec<Part>| {
        seq += 1;
        said.push((
            time,
            seq,
            how,
            Entry {
                span,
                role: role.to_owned(),
                parts,
            },
        ));
    };
    for &i in set.trace_spans(tr) {
        let s = &set.spans[i as usize];
        let step = set.step(i);
        let end = s.end.max(s.start);
        match step.kind {
            // A second record of a call says what the call said once, on the call.
            StepKind::Llm if step.same_call_as.is_some() => {}
            StepKind::Llm => {
                let c = crate::semconv::messages::call_conversation(set, s);
                if !c.system.is_empty() {
                    add(s.start, Said::History, i, "system", c.system.clone());
                }
                for m in c.input {
                    add(s.start, Said::History, i, &m.role, m.parts);
                }
                for m in c.output {
                    add(end, Said::Answer, i, &m.role, m.parts);
                }
            }
            // The turn's prompt where only the agent span holds it (Claude Code's
            // interaction `user_prompt`); history already said is left out below.
            StepKind::Agent => {
                for m in conversation(set, s).input {
                    add(s.start, Said::History, i, &m.role, m.parts);
                }
            }
            StepKind::Tool => {
                let (args, result) = crate::semconv::tool_io(set, s);
                let name = set.str(step.tool_name).to_owned();
                let id = Some(set.str(step.tool_call_id))
                    .filter(|c| !c.is_empty())
                    .map(str::to_owned);
                if let Some(arguments) = args {
                    let call = Part::ToolCall {
                        id: id.clone(),
                        name,
                        arguments,
                    };
                    add(s.start, Said::ToolCall, i, "tool call", vec![call]);
                }
                if let Some(response) = result {
                    let part = Part::ToolResponse { id, response };
                    add(end, Said::Answer, i, "tool result", vec![part]);
                }
            }
            _ => {}
        }
    }
    said.sort_by_key(|(time, seq, _, _)| (*time, *seq));
    // Everything shown so far (history that repeats it is left out), and the tool
    // calls the model asked for that no tool step has answered yet.
    let mut seen: FxHashSet<String> = FxHashSet::default();
    let mut asked: Vec<String> = Vec::new();
    let mut out = Vec::new();
    for (_, _, how, mut e) in said {
        let role = e.role.clone();
        e.parts.retain(|p| {
            let k = key(&role, p);
            let show = match how {
                Said::History => !seen.contains(&k),
                Said::Answer => {
                    if matches!(p, Part::ToolCall { .. }) {
                        asked.push(k.clone());
                    }
                    true
                }
                Said::ToolCall => match asked.iter().position(|a| *a == k) {
                    Some(at) => {
                        asked.remove(at);
                        false
                    }
                    None => true,
                },
            };
            seen.insert(k);
            show
        });
        if !e.parts.is_empty() {
            out.push(e);
        }
    }
    out
}

/// How a piece of a transcript was said.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Said {
    /// In an LLM call's input: the history, new only where not said before.
    History,
    /// An LLM call's answer or a tool's result: always new.
    Answer,
    /// A tool step's call: new unless the model's answer just asked for it.
    ToolCall,
}
