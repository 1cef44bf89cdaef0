//! Two runs of an agent side by side, aligned by what each step means rather than by
//! span ids (which never match across runs): agent, LLM and tool steps are lined up
//! by kind and tool or agent name with a sequence diff, so the first place where the
//! runs went different ways — another tool called, the same tool with other
//! arguments or another result, a model answering otherwise, a step that failed — is
//! found and shown. Plumbing spans (HTTP, DB…) are left out, as in the agent view.

use super::agentview::is_plumbing;
use crate::model::{Outcome, StepKind, TraceSet};
use serde_json::Value;

/// How two aligned steps compare.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Op {
    /// The same step, nothing of note differs.
    Same,
    /// The same step (kind and name), but its arguments, result, answer, model or
    /// outcome differ.
    Changed,
    /// Only in the first run.
    OnlyA,
    /// Only in the second run.
    OnlyB,
}

impl Op {
    /// The word used in JSON.
    pub fn as_str(self) -> &'static str {
        match self {
            Op::Same => "same",
            Op::Changed => "changed",
            Op::OnlyA => "only_a",
            Op::OnlyB => "only_b",
        }
    }
}

/// What differs between two aligned steps.
#[derive(Clone, Debug, PartialEq)]
pub enum Change {
    /// Ok, warning or error.
    Outcome(Outcome, Outcome),
    /// Another model answered.
    Model(String, String),
    /// The tool was called with other arguments.
    Arguments(String, String),
    /// The tool returned something else.
    Result(String, String),
    /// The model answered otherwise (its output messages).
    Answer(String, String),
}

impl Change {
    /// A short name for the change.
    pub fn name(&self) -> &'static str {
        match self {
            Change::Outcome(..) => "outcome",
            Change::Model(..) => "model",
            Change::Arguments(..) => "arguments",
            Change::Result(..) => "result",
            Change::Answer(..) => "answer",
        }
    }

    /// The two sides as text (JSON pretty-printed), for a line diff.
    pub fn sides(&self) -> (String, String) {
        match self {
            Change::Outcome(a, b) => (a.as_str().to_owned(), b.as_str().to_owned()),
            Change::Model(a, b)
            | Change::Arguments(a, b)
            | Change::Result(a, b)
            | Change::Answer(a, b) => (a.clone(), b.clone()),
        }
    }
}

/// One aligned row: a step of either run or both.
#[derive(Clone, Debug)]
pub struct Row {
    /// How they compare.
    pub op: Op,
    /// The step in the first run (a span index).
    pub a: Option<u32>,
    /// The step in the second run.
    pub b: Option<u32>,
    /// What differs, for [`Op::Changed`].
    pub changes: Vec<Change>,
}

/// Two runs compared.
#[derive(Clone, Debug)]
pub struct RunDiff {
    /// The first trace (index in the set).
    pub a: u32,
    /// The second trace.
    pub b: u32,
    /// Every step of both, aligned, in order.
    pub rows: Vec<Row>,
    /// The first row that is not [`Op::Same`].
    pub first_divergence: Option<usize>,
}

impl RunDiff {
    /// True when the runs took the same steps with the same arguments, results,
    /// answers and outcomes (timings and tokens may still differ).
    pub fn same(&self) -> bool {
        self.first_divergence.is_none()
    }
}

/// The steps of trace `t` that a run's course is made of, in tree pre-order.
pub fn steps_of(set: &TraceSet, t: u32) -> Vec<u32> {
    let Some(tr) = set.traces.get(t as usize) else {
        return Vec::new();
    };
    set.trace_spans(tr)
        .iter()
        .copied()
        .filter(|&i| {
            let k = set.step(i).kind;
            !is_plumbing(k) && k != StepKind::Chain
        })
        .collect()
}

/// What a step is, for alignment: its kind and the name that says which step it is
/// (the tool, the agent; LLM calls align by kind alone so a model switch shows as a
/// change, not as two unrelated steps).
fn key(set: &TraceSet, i: u32) -> (StepKind, String) {
    let s = set.step(i);
    let name = match s.kind {
        StepKind::Llm | StepKind::Embedding | StepKind::Rerank => String::new(),
        StepKind::Tool if !s.tool_name.is_empty() => set.str(s.tool_name).to_owned(),
        StepKind::Agent if !s.agent_name.is_empty() => set.str(s.agent_name).to_owned(),
        _ => set.str(set.spans[i as usize].name).to_owned(),
    };
    (s.kind, name)
}

/// Compares runs `a` and `b` of `set`.
pub fn diff(set: &TraceSet, a: u32, b: u32) -> RunDiff {
    let (sa, sb) = (steps_of(set, a), steps_of(set, b));
    let ka: Vec<_> = sa.iter().map(|&i| key(set, i)).collect();
    let kb: Vec<_> = sb.iter().map(|&i| key(set, i)).collect();
    let mut rows = Vec::new();
    // Past the deadline the diff falls back to a coarser (still correct) alignment
    // rather than taking quadratic time on two huge, very different runs.
    let deadline = std::time::Instant::now() + ALIGN_TIME;
    for op in
        similar::capture_diff_slices_deadline(similar::Algorithm::Myers, &ka, &kb, Some(deadline))
    {
        for change in op.iter_changes(&ka, &kb) {
            let (x, y) = (
                change.old_index().map(|k| sa[k]),
                change.new_index().map(|k| sb[k]),
            );
            rows.push(match (x, y) {
                (Some(x), Some(y)) => {
                    let changes = changes(set, x, y);
                    Row {
                        op: if changes.is_empty() {
                            Op::Same
                        } else {
                            Op::Changed
                        },
                        a: Some(x),
                        b: Some(y),
                        changes,
                    }
                }
                (Some(x), None) => Row {
                    op: Op::OnlyA,
                    a: Some(x),
                    b: None,
                    changes: Vec::new(),
                },
                (None, y) => Row {
                    op: Op::OnlyB,
                    a: None,
                    b: y,
                    changes: Vec::new(),
                },
            });
        }
    }
    let first_divergence = rows.iter().position(|r| r.op != Op::Same);
    RunDiff {
        a,
        b,
        rows,
        first_divergence,
    }
}

/// JSON as text for comparing and showing: pretty, keys in order (serde_json's maps
/// are sorted), strings holding JSON read as JSON.
fn json_text(v: &Value) -> String {
    match v {
        Value::String(s) => match serde_json::from_str::<Value>(s) {
            Ok(inner @ (Value::Object(_) | Value::Array(_))) => json_text(&inner),
            _ => s.clone(),
        },
        other => serde_json::to_string_pretty(other).unwrap_or_default(),
    }
}

/// The text of a step's output messages (what the model said and asked for).
fn answer(set: &TraceSet, i: u32) -> Option<String> {
    use crate::semconv::messages::Part;
    let c = crate::semconv::messages::conversation(set, &set.spans[i as usize]);
    let mut out = Vec::new();
    for m in &c.output {
        for p in &m.parts {
            out.push(match p {
                Part::Text(t) | Part::Reasoning(t) => t.clone(),
                Part::ToolCall {
                    name, arguments, ..
                } => format!("call {name} {}", json_text(arguments)),
                Part::ToolResponse { response, .. } => json_text(response),
                Part::Other(v) => json_text(v),
            });
        }
    }
    (!out.is_empty()).then(|| out.join("\n"))
}

fn changes(set: &TraceSet, x: u32, y: u32) -> Vec<Change> {
    let (s, t) = (set.step(x), set.step(y));
    let mut out = Vec::new();
    if s.outcome != t.outcome {
        out.push(Change::Outcome(s.outcome, t.outcome));
    }
    let model = |st: &crate::model::Step| {
        let m = if st.model.is_empty() {
            st.model_requested
        } else {
            st.model
        };
        set.str(m).to_owned()
    };
    if matches!(
        s.kind,
        StepKind::Llm | StepKind::Embedding | StepKind::Rerank
    ) {
        let (ma, mb) = (model(&s), model(&t));
        if ma != mb {
            out.push(Change::Model(ma, mb));
        }
        if let (Some(aa), Some(ab)) = (answer(set, x), answer(set, y))
            && aa != ab
        {
            out.push(Change::Answer(aa, ab));
        }
    }
    if s.kind == StepKind::Tool {
        let (a_args, a_res) = crate::semconv::tool_io(set, &set.spans[x as usize]);
        let (b_args, b_res) = crate::semconv::tool_io(set, &set.spans[y as usize]);
        let text = |v: &Option<Value>| v.as_ref().map(json_text).unwrap_or_default();
        if a_args != b_args {
            out.push(Change::Arguments(text(&a_args), text(&b_args)));
        }
        if a_res != b_res {
            out.push(Change::Result(text(&a_res), text(&b_res)));
        }
    }
    out
}

/// Time the step alignment may take before it settles for a coarser one.
const ALIGN_TIME: std::time::Duration = std::time::Duration::from_secs(1);
/// Time a payload's line diff may take before it settles for a coarser one.
const TEXT_DIFF_TIME: std::time::Duration = std::time::Duration::from_millis(250);
/// Characters of each side a line diff reads (payloads can be megabytes).
const TEXT_DIFF_CHARS: usize = 200_000;

/// A line diff of two texts (`-`/`+`/` ` prefixed lines), at most `max` lines with
/// a count of the rest; untrusted text: the caller sanitizes.
pub fn line_diff(a: &str, b: &str, max: usize) -> Vec<String> {
    let cut = |t: &str| -> String {
        match t.char_indices().nth(TEXT_DIFF_CHARS) {
            Some((i, _)) => format!("{}\n… (cut at {TEXT_DIFF_CHARS} characters)", &t[..i]),
            None => t.to_owned(),
        }
    };
    let (a, b) = (cut(a), cut(b));
    let d = similar::TextDiff::configure()
        .timeout(TEXT_DIFF_TIME)
        .diff_lines(&a, &b);
    let mut out = Vec::new();
    let mut left = 0usize;
    for group in d.grouped_ops(2) {
        for op in group {
            for c in d.iter_changes(&op) {
                if out.len() >= max {
                    left += 1;
                    continue;
                }
                let sign = match c.tag() {
                    similar::ChangeTag::Delete => '-',
                    similar::ChangeTag::Insert => '+',
                    similar::ChangeTag::Equal => ' ',
                };
                out.push(format!("{sign} {}", c.value().trim_end_matches('\n')));
            }
        }
    }
    if left > 0 {
        out.push(format!("… {left} more lines"));
    }
    out
}
