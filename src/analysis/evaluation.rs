//! Evaluation scores: `gen_ai.evaluation.result` events (name, score value and label,
//! explanation) on the step they judge — attached to its span, or joined to it by
//! `gen_ai.response.id` when the evaluator ran later and logged no span id — read once
//! here so `show`, the explorer and `ls --json` print the same scores.

use crate::model::TraceSet;
use serde_json::{Value, json};

/// One evaluation of one step.
#[derive(Clone, Debug, PartialEq)]
pub struct Evaluation {
    /// What was judged (`relevance`, `faithfulness`…).
    pub name: String,
    /// The numeric score, when there is one.
    pub score: Option<f64>,
    /// The label (`pass`, `good`…), when there is one.
    pub label: String,
    /// Why, when the evaluator said.
    pub explanation: String,
}

/// The event that carries an evaluation.
pub const EVENT: &str = "gen_ai.evaluation.result";

/// The evaluations of span `i`, in event order.
pub fn of_span(set: &TraceSet, i: u32) -> Vec<Evaluation> {
    let Some(s) = set.spans.get(i as usize) else {
        return Vec::new();
    };
    set.span_events(s)
        .iter()
        .filter(|e| set.str(e.name) == EVENT)
        .map(|e| {
            let attrs = &set.attrs[e.attrs.range()];
            let get = |k: &str| attrs.iter().find(|a| set.str(a.key) == k).map(|a| &a.value);
            let text = |k: &str| {
                get(k)
                    .and_then(|v| v.as_str(&set.strings))
                    .unwrap_or("")
                    .to_owned()
            };
            Evaluation {
                name: text("gen_ai.evaluation.name"),
                score: get("gen_ai.evaluation.score.value").and_then(|v| v.as_f64(&set.strings)),
                label: text("gen_ai.evaluation.score.label"),
                explanation: text("gen_ai.evaluation.explanation"),
            }
        })
        .collect()
}

/// `relevance 0.82 good`, for rows and summaries.
pub fn short(e: &Evaluation) -> String {
    let mut out = if e.name.is_empty() {
        "evaluation".to_owned()
    } else {
        e.name.clone()
    };
    if let Some(s) = e.score {
        out.push_str(&format!(" {}", trim_float(s)));
    }
    if !e.label.is_empty() {
        out.push(' ');
        out.push_str(&e.label);
    }
    crate::sanitize::sanitize(&out).into_owned()
}

fn trim_float(s: f64) -> String {
    let t = format!("{s:.3}");
    t.trim_end_matches('0').trim_end_matches('.').to_owned()
}

/// The JSON form (`ls --json`, `show --json`).
pub fn to_json(e: &Evaluation) -> Value {
    json!({
        "name": e.name,
        "score": e.score,
        "label": (!e.label.is_empty()).then_some(&e.label),
        "explanation": (!e.explanation.is_empty()).then_some(&e.explanation),
    })
}

/// Every evaluation of a trace's spans, with the judged span's id.
pub fn of_trace_json(set: &TraceSet, spans: &[u32]) -> Vec<Value> {
    let mut out = Vec::new();
    for &i in spans {
        for e in of_span(set, i) {
            let mut v = to_json(&e);
            v["span_id"] = set.spans[i as usize].span_id.to_string().into();
            out.push(v);
        }
    }
    out
}
