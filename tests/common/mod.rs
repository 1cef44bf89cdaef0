//! Helpers shared by the integration tests.
#![allow(dead_code)]

use agtrace::input::load;
use agtrace::model::{AttrValue, Interner, TraceSet};
use agtrace::source::{Input, LoadError, LoadOptions};
use std::fmt::Write as _;
use std::path::PathBuf;

/// Path of a fixture under `testdata/`.
pub fn fixture(rel: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("testdata")
        .join(rel)
}

/// Loads fixtures (by path relative to `testdata/`).
pub fn try_load(rels: &[&str]) -> Result<TraceSet, LoadError> {
    let inputs: Vec<Input> = rels.iter().map(|r| Input::Path(fixture(r))).collect();
    load(&inputs, &LoadOptions::with_threads(2))
}

/// Loads fixtures, failing the test on error.
pub fn load_ok(rels: &[&str]) -> TraceSet {
    match try_load(rels) {
        Ok(s) => s,
        Err(e) => panic!("loading {rels:?}: {e}"),
    }
}

fn value(v: &AttrValue, strings: &Interner) -> String {
    match v {
        AttrValue::Double(d) => format!("double:{d}"),
        AttrValue::Int(i) => format!("int:{i}"),
        AttrValue::Bool(b) => format!("bool:{b}"),
        AttrValue::Bytes(b) => format!("bytes:{b:?}"),
        AttrValue::Empty => "empty".into(),
        AttrValue::Str(_) | AttrValue::Text(_) => {
            format!("str:{:?}", v.as_str(strings).unwrap_or_default())
        }
        AttrValue::Array(items) => format!(
            "[{}]",
            items
                .iter()
                .map(|x| value(x, strings))
                .collect::<Vec<_>>()
                .join(", ")
        ),
        AttrValue::KvList(items) => format!(
            "{{{}}}",
            items
                .iter()
                .map(|(k, x)| format!("{}={}", strings.get(*k), value(x, strings)))
                .collect::<Vec<_>>()
                .join(", ")
        ),
    }
}

/// A canonical text form of everything loaded: every span (sorted by trace and span id)
/// with all its fields, attributes, events, links, resource and scope, plus the tree
/// and per-trace aggregates. Two loads are "the same model" when these are equal.
pub fn canonical(set: &TraceSet) -> String {
    let st = &set.strings;
    let attrs = |slice: agtrace::model::Slice| -> String {
        set.attrs[slice.range()]
            .iter()
            .map(|a| format!("{}={}", st.get(a.key), value(&a.value, st)))
            .collect::<Vec<_>>()
            .join("; ")
    };
    let mut spans: Vec<usize> = (0..set.spans.len()).collect();
    spans.sort_by_key(|&i| (set.spans[i].trace_id, set.spans[i].span_id));
    let mut out = String::new();
    for i in spans {
        let s = &set.spans[i];
        let res = &set.resources[s.resource as usize];
        let scope = &set.scopes[s.scope as usize];
        let parent = if s.parent == u32::MAX {
            "-".to_string()
        } else {
            set.spans[s.parent as usize].span_id.to_string()
        };
        let _ = writeln!(
            out,
            "span {} {} parent_id={} parent={} depth={} name={:?} kind={:?} status={:?} msg={:?} start={} end={} flags={} tracestate={:?} dropped={:?} marks={}",
            s.trace_id,
            s.span_id,
            s.parent_span_id,
            parent,
            s.depth,
            st.get(s.name),
            s.kind,
            s.status,
            st.get(s.status_message),
            s.start,
            s.end,
            s.flags,
            st.get(s.trace_state),
            s.dropped,
            s.marks.0
        );
        let _ = writeln!(out, "  attrs: {}", attrs(s.attrs));
        let _ = writeln!(
            out,
            "  resource: service={:?} dropped={} attrs: {}",
            st.get(res.service),
            res.dropped,
            attrs(res.attrs)
        );
        let _ = writeln!(
            out,
            "  scope: {:?} {:?} dropped={} attrs: {}",
            st.get(scope.name),
            st.get(scope.version),
            scope.dropped,
            attrs(scope.attrs)
        );
        for e in set.span_events(s) {
            let _ = writeln!(
                out,
                "  event {} {:?} dropped={} attrs: {}",
                e.time,
                st.get(e.name),
                e.dropped,
                attrs(e.attrs)
            );
        }
        for l in set.span_links(s) {
            let _ = writeln!(
                out,
                "  link {} {} {:?} flags={} dropped={} attrs: {}",
                l.trace_id,
                l.span_id,
                st.get(l.trace_state),
                l.flags,
                l.dropped,
                attrs(l.attrs)
            );
        }
        let kids: Vec<String> = set
            .children_of(s)
            .iter()
            .map(|&c| set.spans[c as usize].span_id.to_string())
            .collect();
        let _ = writeln!(out, "  children: {}", kids.join(" "));
    }
    let mut traces: Vec<_> = set.traces.iter().collect();
    traces.sort_by_key(|t| t.id);
    for t in traces {
        let order: Vec<String> = set
            .trace_spans(t)
            .iter()
            .map(|&i| set.spans[i as usize].span_id.to_string())
            .collect();
        let _ = writeln!(
            out,
            "trace {} root={:?} service={:?} start={} end={} spans={} errors={} integrity={:?} order={}",
            t.id,
            st.get(t.root_name),
            st.get(t.service),
            t.start,
            t.end,
            t.span_count,
            t.error_count,
            t.integrity,
            order.join(",")
        );
    }
    out
}

/// Index of the span with this hex id.
pub fn span_by_id(set: &TraceSet, id: &str) -> usize {
    set.spans
        .iter()
        .position(|s| s.span_id.to_string() == id)
        .unwrap_or_else(|| panic!("no span {id}"))
}

/// The stdout of a successful `agtrace` run with these arguments.
#[allow(dead_code)]
pub fn run_ok(args: &[&str]) -> String {
    let out = assert_cmd::Command::cargo_bin("agtrace")
        .expect("binary")
        .args(args)
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    String::from_utf8_lossy(&out).into_owned()
}

/// `ls --json` output as objects without what a store's summaries do not keep (where
/// each trace was read from, and which of its costs were provided or priced: both
/// null there), to compare listings of the same traces read from a file and a store.
#[allow(dead_code)]
pub fn listing_without_sources(out: &str) -> Vec<serde_json::Value> {
    out.lines()
        .map(|l| {
            let mut v: serde_json::Value = serde_json::from_str(l).expect("ls --json line");
            let o = v.as_object_mut().expect("object");
            o.remove("sources");
            o.remove("cost_source");
            v
        })
        .collect()
}

/// Says that a test did not run, where the test runner's output capture cannot hide
/// it (straight to the process's stderr, not through `eprintln!`). With
/// `AGTRACE_REQUIRE_ALL_TESTS=1` a skip is a failure instead.
#[allow(dead_code)]
pub fn skipped(why: &str) {
    use std::io::Write as _;
    if std::env::var_os("AGTRACE_REQUIRE_ALL_TESTS").is_some_and(|v| v == "1") {
        panic!("AGTRACE_REQUIRE_ALL_TESTS=1 and {why}");
    }
    let _ = writeln!(std::io::stderr(), "SKIPPED: {why}");
}

/// [`canonical`] plus everything derived from it: every span's step, every trace's
/// GenAI roll-ups and findings, and the sessions, all with strings spelled out so two
/// sets built in different orders compare equal when they mean the same.
pub fn canonical_derived(set: &TraceSet) -> String {
    let st = &set.strings;
    let mut out = canonical(set);
    let mut spans: Vec<usize> = (0..set.spans.len()).collect();
    spans.sort_by_key(|&i| (set.spans[i].trace_id, set.spans[i].span_id));
    for i in spans {
        let s = &set.steps[i];
        let _ = writeln!(
            out,
            "step {} {} kind={:?} by={} outcome={:?} reason={:?} model={:?}/{:?} provider={:?} tool={:?} call={:?} finish={:?} session={:?} user={:?} agent={:?} tokens={:?} cost={:?} {:?} billable={} marks={}",
            set.spans[i].trace_id,
            set.spans[i].span_id,
            s.kind,
            s.kind_source,
            s.outcome,
            st.get(s.reason),
            st.get(s.model),
            st.get(s.model_requested),
            st.get(s.provider),
            st.get(s.tool_name),
            st.get(s.tool_call_id),
            st.get(s.finish_reasons),
            st.get(s.session),
            st.get(s.user),
            st.get(s.agent_name),
            s.tokens,
            s.cost(),
            s.cost_source,
            s.billable_leaf,
            set.finding_marks.get(i).copied().unwrap_or(0),
        );
    }
    let mut traces: Vec<usize> = (0..set.traces.len()).collect();
    traces.sort_by_key(|&t| set.traces[t].id);
    for t in traces {
        let tr = &set.traces[t];
        let _ = writeln!(
            out,
            "roll-up {} errors={} warnings={} llm={} tools={} tokens={:?} cost={:?} billable={} unpriced={} provided={:?} session={:?} agent={:?} user={:?}",
            tr.id,
            tr.error_count,
            tr.warning_count,
            tr.llm_calls,
            tr.tool_calls,
            tr.tokens,
            tr.cost(),
            tr.billable_steps,
            tr.unpriced_steps,
            tr.provided_steps,
            st.get(tr.session),
            st.get(tr.agent_name),
            st.get(tr.user),
        );
        for f in agtrace::analysis::findings::of_trace(set, t as u32).unwrap_or_default() {
            let ids: Vec<String> = f
                .spans
                .iter()
                .map(|&s| set.spans[s as usize].span_id.to_string())
                .collect();
            let _ = writeln!(
                out,
                "  finding {:?} {:?} spans={} {:?}",
                f.kind,
                f.severity,
                ids.join(","),
                f.message
            );
        }
    }
    let mut sessions: Vec<(String, Vec<String>)> = set
        .sessions
        .iter()
        .map(|(k, ts)| {
            (
                st.get(*k).to_owned(),
                ts.iter()
                    .map(|&t| set.traces[t as usize].id.to_string())
                    .collect(),
            )
        })
        .collect();
    sessions.sort();
    for (k, ts) in sessions {
        let _ = writeln!(out, "session {k:?}: {}", ts.join(","));
    }
    out
}
