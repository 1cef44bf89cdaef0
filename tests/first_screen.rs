//! Nothing derived blocks the first screen (issue 30): the explorer is handed the set
//! before its findings are decided and decides them a slice at a time, `ls` decides
//! them for the rows it prints only, and the pieces of a large file are joined as
//! they are decoded. Each path must give exactly what deciding everything at once
//! gives: one truth per finding.

mod common;
use agtrace::analysis::findings::{self, Deriving};
use agtrace::source::{Input, LoadOptions};
use agtrace::tui::app::App;
use agtrace::tui::keymap::Action;
use std::collections::BTreeSet;
use std::process::Command;

/// Every finding of a set as comparable text (trace, kind, severity, spans, message).
fn findings_of(set: &agtrace::model::TraceSet) -> BTreeSet<String> {
    set.findings
        .iter()
        .map(|f| {
            format!(
                "{} {} {} {:?} {}",
                set.traces[f.trace as usize].id,
                f.kind.as_str(),
                f.severity.as_str(),
                f.ids.iter().map(ToString::to_string).collect::<Vec<_>>(),
                f.message
            )
        })
        .collect()
}

fn undecided(rels: &[&str]) -> agtrace::model::TraceSet {
    let inputs: Vec<Input> = rels
        .iter()
        .map(|r| Input::Path(common::fixture(r)))
        .collect();
    let opts = LoadOptions {
        findings: false,
        ..LoadOptions::with_threads(2)
    };
    agtrace::input::load(&inputs, &opts).expect("loads")
}

const FIXTURES: &[&str] = &[
    "findings.otlp.json",
    "triage.otlp.json",
    "agent-incident.otlp.json",
];

#[test]
fn a_load_without_findings_leaves_them_undecided_and_slices_decide_the_same() {
    let whole = common::load_ok(FIXTURES);
    assert!(!whole.findings.is_empty());
    let mut set = undecided(FIXTURES);
    assert!(set.findings.is_empty() && set.trace_findings.is_empty());
    // The smallest slices there are: a zero budget decides one chunk per step.
    let mut job = Deriving::start(&set);
    let mut slices = 1;
    while !job.step(&set, Some(std::time::Duration::ZERO)) {
        slices += 1;
    }
    assert!(slices >= 2, "decided in {slices} slices");
    job.finish(&mut set);
    assert_eq!(findings_of(&set), findings_of(&whole));
    assert_eq!(set.finding_marks, whole.finding_marks);
}

#[test]
fn findings_of_some_traces_are_those_of_the_whole_set() {
    let whole = common::load_ok(FIXTURES);
    let mut set = undecided(FIXTURES);
    let some: Vec<u32> = (0..set.traces.len() as u32).step_by(3).collect();
    findings::derive_only(&mut set, &some);
    for t in 0..set.traces.len() as u32 {
        let got = findings::of_trace(&set, t).unwrap_or_default();
        let want = findings::of_trace(&whole, t).unwrap_or_default();
        if some.contains(&t) {
            assert_eq!(got, want, "trace {t}");
        } else {
            assert!(got.is_empty(), "trace {t} was not asked for");
        }
    }
}

#[test]
fn the_explorer_shows_the_list_first_and_keys_that_read_findings_wait_for_them() {
    let whole = common::load_ok(FIXTURES);
    let mut app = App::with_set(undecided(FIXTURES), "fixtures".into());
    assert!(
        app.is_deciding(),
        "findings are decided after the first frame"
    );
    assert!(app.shared.deciding.is_some());
    assert!(app.list().rows.len() == whole.traces.len());
    // `e` reads findings: it waits; moving does not.
    assert!(app.must_wait(Some(Action::NextFailure)));
    assert!(!app.must_wait(Some(Action::Down)));
    let e = crossterm::event::KeyEvent::from(crossterm::event::KeyCode::Char('e'));
    app.wait_with(e);
    assert!(app.shared.status.contains("deciding findings"));
    // Once one key waits, every later key waits behind it (keys keep their order).
    assert!(app.must_wait(Some(Action::Down)));
    assert!(
        app.take_waiting().is_empty(),
        "nothing runs before they are in"
    );
    while app.is_deciding() {
        app.decide_some();
    }
    assert_eq!(app.shared.deciding, None);
    assert_eq!(findings_of(&app.shared.set), findings_of(&whole));
    assert_eq!(app.take_waiting(), vec![e]);
}

#[test]
fn privacy_mode_while_deciding_shows_the_findings_redacted() {
    let mut app = App::with_set(undecided(&["secrets.otlp.json"]), "secrets".into());
    app.update(Action::Privacy);
    while app.is_deciding() {
        app.decide_some();
    }
    let plain = common::load_ok(&["secrets.otlp.json"]);
    let r = agtrace::redact::Redactor::configured(None).unwrap_or_default();
    let want = agtrace::redact::redact_set(&plain, &r);
    assert_eq!(findings_of(&app.shared.set), findings_of(&want));
    assert!(app.plain.is_some());
    assert_eq!(
        findings_of(app.plain.as_ref().expect("plain kept")),
        findings_of(&plain)
    );
}

fn agtrace(args: &[&str]) -> String {
    let out = Command::new(env!("CARGO_BIN_EXE_agtrace"))
        .args(args)
        .output()
        .expect("runs");
    assert!(
        out.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).expect("utf-8")
}

#[test]
fn ls_with_a_limit_prints_the_findings_the_whole_list_prints() {
    let paths: Vec<String> = FIXTURES
        .iter()
        .map(|r| common::fixture(r).display().to_string())
        .collect();
    let run = |extra: &[&str]| {
        let mut args: Vec<&str> = vec!["ls"];
        args.extend(paths.iter().map(String::as_str));
        args.extend(extra);
        agtrace(&args)
    };
    let all = run(&["--json"]);
    let some = run(&["--json", "--limit", "7"]);
    let all: Vec<&str> = all.lines().collect();
    let some: Vec<&str> = some.lines().collect();
    assert_eq!(some.len(), 7);
    assert_eq!(some, all[..7].to_vec());
    // A filter on findings decides them first: the same rows as deciding everything.
    let loops = run(&["--json", "--filter", "finding:loop"]);
    assert!(!loops.is_empty());
    for line in loops.lines() {
        assert!(all.contains(&line), "{line}");
        assert!(line.contains("\"loop\""), "{line}");
    }
}
