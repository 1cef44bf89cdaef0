//! Findings: each planted one (testdata/findings.otlp.json, written by
//! testdata/make_findings.py) fires on exactly its spans and nowhere else; the other
//! fixtures get exactly the findings their incidents explain; real-world dumps from
//! `../shared/realdata/` (when present) raise none of the findings that would be false
//! alarms there; `finding:` filters, stores and the explorer carry them.

mod common;
use agtrace::model::{FindingKind, TraceSet};
use std::collections::BTreeSet;

/// (trace id suffix, kind, span ids) of every finding of a set.
fn all(set: &TraceSet) -> BTreeSet<(String, &'static str, Vec<String>)> {
    set.findings
        .iter()
        .map(|f| {
            let id = set.traces[f.trace as usize].id.to_string();
            let ids = f.ids.iter().map(ToString::to_string).collect();
            (id[id.len() - 4..].to_owned(), f.kind.as_str(), ids)
        })
        .collect()
}

fn ids(v: &[&str]) -> Vec<String> {
    v.iter().map(|s| (*s).to_owned()).collect()
}

#[test]
fn each_planted_finding_fires_on_exactly_its_spans() {
    let set = common::load_ok(&["findings.otlp.json"]);
    let want: BTreeSet<(String, &'static str, Vec<String>)> = [
        (
            "0010",
            "loop",
            ids(&[
                "0010000000000003",
                "0010000000000005",
                "0010000000000007",
                "0010000000000009",
            ]),
        ),
        (
            "0010",
            "waste",
            ids(&["0010000000000005", "0010000000000007", "0010000000000009"]),
        ),
        ("0011", "empty_result", ids(&["0011000000000003"])),
        (
            "0011",
            "continued_after_failure",
            ids(&["0011000000000003", "0011000000000004"]),
        ),
        ("0012", "truncated", ids(&["0012000000000002"])),
        ("0013", "content_missing", ids(&["0013000000000002"])),
        ("0014", "content_missing", ids(&["0014000000000002"])),
        ("0015", "runaway", ids(&["0015000000000001"])),
        ("0016", "slow", ids(&["0016000000000003"])),
        ("0018", "slow", ids(&["0018000000000002"])),
    ]
    .into_iter()
    .map(|(t, k, s)| (t.to_owned(), k, s))
    .collect();
    assert_eq!(all(&set), want);
    // The healthy runs (0001-0006) have none.
    for t in &set.traces {
        let id = t.id.to_string();
        if id.ends_with("0001") || id[28..].starts_with("000") {
            let ti = set.trace_index[&t.id];
            let fs = agtrace::analysis::findings::of_trace(&set, ti).expect("computed");
            assert!(fs.is_empty(), "{id}: {fs:?}");
        }
    }
    // The messages carry the numbers.
    let msg = |kind: FindingKind| {
        set.findings
            .iter()
            .find(|f| f.kind == kind)
            .map(|f| f.message.clone())
            .unwrap_or_default()
    };
    assert!(
        msg(FindingKind::Loop).contains("search_orders called 4× with the same arguments"),
        "{}",
        msg(FindingKind::Loop)
    );
    assert!(msg(FindingKind::Runaway).contains("steps 41 vs a median of 4"));
    let slow: Vec<String> = set
        .findings
        .iter()
        .filter(|f| f.kind == FindingKind::Slow)
        .map(|f| f.message.clone())
        .collect();
    assert!(
        slow.iter().any(|m| m.contains("fetch_url took 8.00s")),
        "{slow:?}"
    );
    assert!(
        slow.iter()
            .any(|m| m.contains("took 9.00s (90.0 ms per output token")),
        "{slow:?}"
    );
    assert!(msg(FindingKind::Truncated).contains("max_tokens"));
    assert!(msg(FindingKind::EmptyResult).contains("lookup_orders returned nothing"));
    let why: Vec<String> = set
        .findings
        .iter()
        .filter(|f| f.kind == FindingKind::ContentMissing)
        .map(|f| f.message.clone())
        .collect();
    assert!(
        why.iter().any(|m| m.contains("content capture is off")),
        "{why:?}"
    );
    assert!(
        why.iter()
            .any(|m| m.contains("stored by reference (gen_ai.input.messages_ref)")),
        "{why:?}"
    );
}

#[test]
fn the_incident_fixtures_get_exactly_the_findings_their_incidents_explain() {
    let set = common::load_ok(&["agent-incident.otlp.json", "triage.otlp.json"]);
    let kinds: BTreeSet<(String, &str)> = all(&set).into_iter().map(|(t, k, _)| (t, k)).collect();
    let want: BTreeSet<(String, &str)> = [
        ("319c", "failure_origin"),
        ("319c", "truncated"),
        ("0003", "failure_origin"),
        ("0003", "continued_after_failure"),
        ("0003", "broken_trace"),
        ("0003", "waste"),
        ("0003", "content_missing"),
    ]
    .into_iter()
    .map(|(t, k)| (t.to_owned(), k))
    .collect();
    assert_eq!(kinds, want);
    // The failure origin is the deepest failed span, with the chain it reached.
    let origin = set
        .findings
        .iter()
        .find(|f| f.kind == FindingKind::FailureOrigin && f.message.starts_with("POST"))
        .expect("origin");
    assert_eq!(
        origin
            .ids
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>(),
        ["b000000000000004", "b000000000000003", "b000000000000001"]
    );
    // The orphan is an MCP server span, and the finding says what that means.
    let broken = set
        .findings
        .iter()
        .find(|f| f.kind == FindingKind::BrokenTrace)
        .expect("broken");
    assert!(broken.message.contains("MCP"), "{}", broken.message);
}

/// Real dumps are healthy or broken in known ways: none of them is a loop, a runaway,
/// a slow step, an empty result, a cut-off answer or a model carrying on after a gap.
#[test]
fn real_dumps_raise_no_false_alarms() {
    let dir = std::env::var_os("AGTRACE_REALDATA")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| {
            std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared/realdata")
        });
    if !dir.join("PROVENANCE.md").exists() {
        common::skipped("../shared/realdata not found; the real-data findings test did not run");
        return;
    }
    let quiet = [
        FindingKind::Loop,
        FindingKind::Runaway,
        FindingKind::Slow,
        FindingKind::EmptyResult,
        FindingKind::Truncated,
        FindingKind::ContinuedAfterFailure,
        FindingKind::Waste,
    ];
    let mut read = 0;
    for e in std::fs::read_dir(&dir).expect("read dir") {
        let path = e.expect("entry").path();
        let Ok(set) = agtrace::input::load(
            &[agtrace::source::Input::Path(path.clone())],
            &agtrace::source::LoadOptions::with_threads(2),
        ) else {
            continue;
        };
        read += 1;
        for f in &set.findings {
            assert!(
                !quiet.contains(&f.kind),
                "{}: {} {}",
                path.display(),
                f.kind.as_str(),
                f.message
            );
        }
        // A failure origin is a span whose own status failed.
        for f in set
            .findings
            .iter()
            .filter(|f| f.kind == FindingKind::FailureOrigin)
        {
            let s = f.spans[0];
            assert_eq!(
                set.step(s).outcome,
                agtrace::model::Outcome::Error,
                "{}",
                path.display()
            );
        }
    }
    assert!(read >= 5, "{read} real dumps read");
}

fn agtrace() -> assert_cmd::Command {
    assert_cmd::Command::cargo_bin("agtrace").expect("binary")
}

#[test]
fn finding_filters_stores_and_json_carry_them() {
    let f = common::fixture("findings.otlp.json");
    let f = f.to_str().expect("path");
    let text = common::run_ok(&["ls", f, "--filter", "finding:loop"]);
    assert_eq!(text.lines().count(), 2, "{text}");
    assert!(text.contains("f1d00000000000000000000000000010"), "{text}");
    let bad = agtrace()
        .args(["ls", f, "--filter", "finding:sideways"])
        .assert()
        .code(2)
        .get_output()
        .stderr
        .clone();
    assert!(String::from_utf8_lossy(&bad).contains("finding:empty_result"));
    // A store keeps the findings its import decided: `ls` lists them without spans.
    let dir = tempfile::tempdir().expect("tempdir");
    let db = dir.path().join("s.db");
    agtrace()
        .args(["import", f, "--db", db.to_str().expect("path")])
        .assert()
        .success();
    // Every field but where it was read from (a file, then a store).
    let json = |src: &str| -> Vec<serde_json::Value> {
        let out = String::from_utf8(
            agtrace()
                .args(["ls", src, "--json"])
                .assert()
                .success()
                .get_output()
                .stdout
                .clone(),
        )
        .expect("utf8");
        common::listing_without_sources(&out)
    };
    assert_eq!(json(db.to_str().expect("path")), json(f));
    // `show` prints the block and marks the rows.
    let text = common::run_ok(&["show", f, "f1d00000000000000000000000000010"]);
    assert!(text.contains("findings (2):"), "{text}");
    assert_eq!(text.matches("* loop ×4").count(), 4, "{text}");
}

#[test]
fn e_steps_through_the_findings_in_the_explorer() {
    let set = common::load_ok(&["triage.otlp.json"]);
    let mut a = agtrace::tui::app::App::with_set(set, "triage".into());
    let t = a.shared.set.find_traces("71a9e0c0000000000000000000000003")[0];
    a.open_trace(t);
    use agtrace::tui::keymap::Action;
    let mut seen = Vec::new();
    for _ in 0..5 {
        a.update(Action::NextFailure);
        seen.push(a.shared.status.clone());
    }
    assert!(
        seen[0].starts_with("finding 1/5 · failure_origin: lookup_customer failed"),
        "{seen:?}"
    );
    assert!(seen[1].contains("continued_after_failure"), "{seen:?}");
    assert!(seen[2].contains("broken_trace"), "{seen:?}");
    let sel = a.selected_span().expect("selected");
    assert_eq!(
        a.shared.set.spans[sel as usize].span_id.to_string(),
        "1300000000000009",
        "the broken-trace finding selects the orphaned MCP span"
    );
    a.update(Action::NextFailure);
    assert!(a.shared.status.starts_with("finding 1/5"), "wraps around");
    a.update(Action::PrevFailure);
    assert!(
        a.shared.status.starts_with("finding 5/5"),
        "{}",
        a.shared.status
    );
}

#[test]
fn help_findings_names_every_kind_and_its_rule() {
    let text = common::run_ok(&["help", "findings"]);
    for k in FindingKind::ALL {
        assert!(
            text.lines().any(|l| l.trim_start().starts_with(k.as_str())),
            "{}: {text}",
            k.as_str()
        );
    }
}

#[test]
fn time_splits_by_kind_once_and_first_tokens_show() {
    let set = common::load_ok(&["agent-incident.otlp.json"]);
    let t = set.find_traces("0af7")[0];
    let split = agtrace::analysis::steptime::time_by_kind(&set, t);
    let of =
        |k: agtrace::model::StepKind| split.iter().find(|(x, _)| *x == k).map_or(0, |(_, ns)| *ns);
    // The refund tool's 30.2 s hold its HTTP child's 30 s: counted once, as the tool.
    assert_eq!(of(agtrace::model::StepKind::Tool), 30_200_000_000);
    assert_eq!(of(agtrace::model::StepKind::Other), 0);
    assert_eq!(of(agtrace::model::StepKind::Llm), 4_100_000_000);
    let f = common::fixture("findings.otlp.json");
    let f = f.to_str().expect("path");
    let text = common::run_ok(&["show", f, "--detail", "0016000000000002"]);
    assert!(
        text.lines()
            .any(|l| l.starts_with("first token") && l.ends_with("420ms")),
        "{text}"
    );
    assert!(
        text.contains("trace time by step kind (own time): tool 8.00s"),
        "{text}"
    );
    let out = agtrace()
        .args(["show", f, "--detail", "0016000000000002", "--json"])
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let v: serde_json::Value = serde_json::from_slice(&out).expect("json");
    assert_eq!(v["time_to_first_token_ms"], 420.0);
}

/// `$` opens the stats screen; `o` cycles the grouping up to the findings per kind;
/// Enter lists the selected group's traces.
#[test]
fn the_stats_screen_groups_and_lists_a_groups_traces() {
    use agtrace::tui::keymap::Action;
    use agtrace::tui::screens::ScreenKind;
    let set = common::load_ok(&["findings.otlp.json"]);
    let mut a = agtrace::tui::app::App::with_set(set, "findings".into());
    a.update(Action::StatsView);
    assert_eq!(a.screen(), ScreenKind::Stats);
    let stats = |a: &agtrace::tui::app::App| match a.screens.last() {
        Some(agtrace::tui::screens::Screen::Stats(s)) => (
            s.by,
            s.rows
                .iter()
                .map(|r| (r.key.clone(), r.calls))
                .collect::<Vec<_>>(),
            s.findings
                .iter()
                .map(|f| f.kind.as_str())
                .collect::<Vec<_>>(),
        ),
        _ => panic!("not the stats screen"),
    };
    let (by, rows, _) = stats(&a);
    assert_eq!(by, Some(agtrace::analysis::stats::GroupBy::Tool));
    assert!(rows.contains(&("fetch_url".to_owned(), 27)), "{rows:?}");
    // Enter on search_orders: the trace list, filtered to the traces that call it.
    let at = rows
        .iter()
        .position(|(k, _)| k == "search_orders")
        .expect("search_orders");
    for _ in 0..at {
        a.update(Action::Down);
    }
    a.update(Action::Enter);
    assert_eq!(a.screen(), ScreenKind::List);
    assert_eq!(a.list().totals.traces, 1, "{}", a.shared.status);
    assert!(
        a.shared.status.contains("search_orders"),
        "{}",
        a.shared.status
    );
    a.update(Action::Back);
    // Up to the findings per kind, and Enter on one of them.
    a.update(Action::StatsView);
    for _ in 0..7 {
        a.update(Action::Sort);
    }
    let (by, _, kinds) = stats(&a);
    assert_eq!(by, None);
    assert!(kinds.contains(&"loop"), "{kinds:?}");
    let at = kinds.iter().position(|k| *k == "loop").expect("loop");
    for _ in 0..at {
        a.update(Action::Down);
    }
    a.update(Action::Enter);
    assert_eq!(a.list().totals.traces, 1);
    assert_eq!(a.shared.query.filter.source, "finding:loop");
}

/// The agent view folds plumbing into the nearest step and counts it, keeps anything
/// failed, and is on by default for a trace with GenAI steps; `a` toggles it, and
/// `show --agent` prints the same.
#[test]
fn the_agent_view_folds_plumbing_into_steps() {
    use agtrace::tui::keymap::Action;
    let set = common::load_ok(&["findings.otlp.json", "agent-incident.otlp.json"]);
    let mut a = agtrace::tui::app::App::with_set(set, "f".into());
    let t = a.shared.set.find_traces("f1d00000000000000000000000000017")[0];
    a.open_trace(t);
    let rows = |a: &agtrace::tui::app::App| -> Vec<(String, u32)> {
        let tr = a.trace().expect("trace");
        tr.rows
            .iter()
            .map(|r| {
                (
                    a.shared
                        .set
                        .str(a.shared.set.spans[r.span as usize].name)
                        .to_owned(),
                    r.folded,
                )
            })
            .collect()
    };
    assert_eq!(
        rows(&a),
        [
            ("invoke_agent planner".to_owned(), 0),
            ("chat gpt-4o".to_owned(), 1),
            ("execute_tool read_db".to_owned(), 3),
            ("chat gpt-4o".to_owned(), 0),
        ]
    );
    a.update(Action::AgentView);
    assert_eq!(rows(&a).len(), 8, "every span");
    a.update(Action::AgentView);
    assert_eq!(rows(&a).len(), 4);
    // A failed plumbing span stays: the failing POST under the refund tool.
    a.update(Action::Back);
    let t = a.shared.set.find_traces("0af7")[0];
    a.open_trace(t);
    assert!(rows(&a).iter().any(|(n, _)| n == "POST"), "{:?}", rows(&a));
    let text = common::run_ok(&[
        "show",
        common::fixture("findings.otlp.json")
            .to_str()
            .expect("path"),
        "f1d00000000000000000000000000017",
        "--agent",
    ]);
    assert!(
        text.contains("|- execute_tool read_db (+3 infra)"),
        "{text}"
    );
    assert!(!text.contains("SELECT orders"), "{text}");
    assert!(
        text.contains("(4 plumbing spans folded into their steps by --agent)"),
        "{text}"
    );
}

/// In the tree a loop folds into its first call (`×4`, the repeats and the steps
/// between them hidden); Enter unfolds it; `e` to a finding inside it unfolds it.
#[test]
fn a_loop_folds_into_one_row_that_expands() {
    use agtrace::tui::keymap::Action;
    let set = common::load_ok(&["findings.otlp.json"]);
    let mut a = agtrace::tui::app::App::with_set(set, "f".into());
    let t = a.shared.set.find_traces("f1d00000000000000000000000000010")[0];
    a.open_trace(t);
    let rows = |a: &agtrace::tui::app::App| -> Vec<(String, Option<(u32, u32)>)> {
        a.trace()
            .expect("trace")
            .rows
            .iter()
            .map(|r| {
                (
                    a.shared.set.spans[r.span as usize].span_id.to_string(),
                    r.loop_fold,
                )
            })
            .collect()
    };
    assert_eq!(
        rows(&a),
        [
            ("0010000000000001".to_owned(), None),
            ("0010000000000002".to_owned(), None),
            ("0010000000000003".to_owned(), Some((4, 6))),
            ("001000000000000a".to_owned(), None),
        ]
    );
    // Enter on the loop row unfolds it; again folds it.
    a.update(Action::Top);
    a.update(Action::Down);
    a.update(Action::Down);
    a.update(Action::Enter);
    assert_eq!(rows(&a).len(), 10);
    a.update(Action::Enter);
    assert_eq!(rows(&a).len(), 4);
    // The waste finding points at a repeat inside the fold: e there unfolds it.
    a.update(Action::NextFailure);
    a.update(Action::NextFailure);
    assert!(a.shared.status.contains("waste"), "{}", a.shared.status);
    let sel = a.selected_span().expect("selected");
    assert_eq!(
        a.shared.set.spans[sel as usize].span_id.to_string(),
        "0010000000000005"
    );
    assert_eq!(rows(&a).len(), 10);
}

/// A trace read alone from a store keeps the findings its import decided among its
/// peers (a runaway, a slow step), not only what one trace can show by itself.
#[test]
fn a_trace_read_from_a_store_keeps_its_peer_findings() {
    let dir = tempfile::tempdir().expect("tempdir");
    let db = dir.path().join("s.db");
    agtrace::store::import(
        &db,
        &[agtrace::source::Input::Path(common::fixture(
            "findings.otlp.json",
        ))],
        &agtrace::source::LoadOptions::with_threads(1),
        |_, _| {},
    )
    .expect("import");
    let prices = agtrace::semconv::PriceTable::bundled();
    for (id, kind) in [
        ("f1d00000000000000000000000000015", FindingKind::Runaway),
        ("f1d00000000000000000000000000016", FindingKind::Slow),
    ] {
        let set = agtrace::store::load_trace_by_id(&db, id, &prices).expect("read");
        let f = set
            .findings
            .iter()
            .find(|f| f.kind == kind)
            .unwrap_or_else(|| panic!("{id}: {kind:?} in {:?}", set.findings));
        assert!(
            !f.spans.is_empty(),
            "its spans are resolved in the trace read"
        );
        assert_ne!(set.finding_marks[f.spans[0] as usize], 0);
    }
}

/// The fixture split into one OTLP JSON file per trace (resource and scope kept), in
/// `dir`; returns the files in trace id order.
fn one_file_per_trace(dir: &std::path::Path) -> Vec<agtrace::source::Input> {
    let text = std::fs::read_to_string(common::fixture("findings.otlp.json")).expect("read");
    let doc: serde_json::Value = serde_json::from_str(&text).expect("json");
    let rs = &doc["resourceSpans"][0];
    let ss = &rs["scopeSpans"][0];
    let mut by_trace: std::collections::BTreeMap<String, Vec<serde_json::Value>> =
        std::collections::BTreeMap::new();
    for sp in ss["spans"].as_array().expect("spans") {
        by_trace
            .entry(sp["traceId"].as_str().expect("id").to_owned())
            .or_default()
            .push(sp.clone());
    }
    let mut inputs = Vec::new();
    for (n, spans) in by_trace.into_values().enumerate() {
        let one = serde_json::json!({"resourceSpans": [{
            "resource": rs["resource"].clone(),
            "scopeSpans": [{"scope": ss["scope"].clone(), "spans": spans}],
        }]});
        let path = dir.join(format!("piece-{n:03}.json"));
        std::fs::write(&path, one.to_string()).expect("write");
        inputs.push(agtrace::source::Input::Path(path));
    }
    inputs
}

/// (trace id, kind, span ids, message) of every runaway and slow finding of a set.
fn peer_findings(set: &TraceSet) -> BTreeSet<(String, &'static str, Vec<String>, String)> {
    set.findings
        .iter()
        .filter(|f| matches!(f.kind, FindingKind::Runaway | FindingKind::Slow))
        .map(|f| {
            (
                set.traces[f.trace as usize].id.to_string(),
                f.kind.as_str(),
                f.ids.iter().map(ToString::to_string).collect(),
                f.message.clone(),
            )
        })
        .collect()
}

fn stored(db: &std::path::Path) -> TraceSet {
    agtrace::store::load_summaries(db, &agtrace::query::filter::Filter::default(), None)
        .expect("read the store")
}

/// A store imported in pieces (a large file, a live receiver's batches) says what
/// the file says: runaways and slow steps are judged among the whole store, not
/// among each piece (here every trace is its own piece: none had peers), with the
/// same numbers in their messages.
#[test]
fn a_store_imported_in_pieces_judges_peers_as_the_file_does() {
    let dir = tempfile::tempdir().expect("tempdir");
    let db = dir.path().join("pieces.db");
    let inputs = one_file_per_trace(dir.path());
    let report = agtrace::store::import::import_in_pieces(
        &db,
        &inputs,
        &agtrace::source::LoadOptions::with_threads(1),
        1,
        |_, _| {},
    )
    .expect("import");
    assert!(report.batches > 1, "written in pieces");
    let want = peer_findings(&common::load_ok(&["findings.otlp.json"]));
    assert!(
        want.iter().any(|f| f.1 == "runaway") && want.iter().any(|f| f.1 == "slow"),
        "the fixture plants runaways and slow steps: {want:?}"
    );
    assert_eq!(peer_findings(&stored(&db)), want);
    // In the other order, a piece at a time into the store (import after import):
    // a trace judged runaway among few peers is judged again when more come.
    let db2 = dir.path().join("reversed.db");
    for input in inputs.iter().rev() {
        agtrace::store::import(
            &db2,
            std::slice::from_ref(input),
            &agtrace::source::LoadOptions::with_threads(1),
            |_, _| {},
        )
        .expect("import");
    }
    assert_eq!(peer_findings(&stored(&db2)), want);
}

/// A store of schema 4 (no peer measures) gains them at its next import, and the
/// traces it held are judged among everything stored.
#[test]
fn a_schema_4_store_gains_its_peer_measures_at_the_next_import() {
    let dir = tempfile::tempdir().expect("tempdir");
    let db = dir.path().join("old.db");
    let inputs = one_file_per_trace(dir.path());
    let (last, first) = inputs.split_last().expect("pieces");
    let opts = agtrace::source::LoadOptions::with_threads(1);
    agtrace::store::import::import_in_pieces(&db, first, &opts, 1, |_, _| {}).expect("import");
    {
        // What schema 4 was: no peer measures, findings judged per import piece.
        let conn = rusqlite::Connection::open(&db).expect("open");
        conn.execute_batch(
            "DROP TABLE peer_groups; DROP TABLE trace_measures; UPDATE traces SET findings = '[]'; PRAGMA user_version = 4;",
        )
        .expect("make it schema 4");
    }
    agtrace::store::import(&db, std::slice::from_ref(last), &opts, |_, _| {}).expect("import");
    let conn = rusqlite::Connection::open(&db).expect("open");
    let v: i64 = conn
        .pragma_query_value(None, "user_version", |r| r.get(0))
        .expect("version");
    assert_eq!(v, agtrace::store::schema::VERSION);
    let want = peer_findings(&common::load_ok(&["findings.otlp.json"]));
    assert_eq!(peer_findings(&stored(&db)), want);
}
