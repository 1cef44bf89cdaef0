//! The defects found trying agtrace at 3am (issue 11), each pinned on
//! `testdata/triage.otlp.json`: a partly priced trace, an unpriced one, a slow step in
//! a long run, an orphaned MCP span, a searchable tool error, a long session id.

mod common;
use agtrace::query::filter::Filter;
use agtrace::tui::app::App;
use agtrace::tui::theme::Theme;
use agtrace::tui::view::render;
use assert_cmd::Command;
use ratatui::Terminal;
use ratatui::backend::TestBackend;

const T1: &str = "71a9e0c0000000000000000000000001";
const T2: &str = "71a9e0c0000000000000000000000002";
const T3: &str = "71a9e0c0000000000000000000000003";
const SESSION: &str = "sess-S1-v2_default-7f3a9c21-long-session-identifier";

fn agtrace() -> Command {
    let mut c = Command::cargo_bin("agtrace").expect("binary");
    c.env_remove("NO_COLOR").env_remove("AGTRACE_STATS");
    c
}

fn triage() -> String {
    common::fixture("triage.otlp.json").display().to_string()
}

fn stdout(args: &[&str]) -> String {
    let out = agtrace()
        .args(args)
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    String::from_utf8(out).expect("utf8")
}

fn app() -> App {
    App::with_set(
        common::load_ok(&["triage.otlp.json"]),
        "triage.otlp.json".into(),
    )
}

fn draw(app: &mut App, w: u16, h: u16) -> String {
    let mut t = Terminal::new(TestBackend::new(w, h)).expect("terminal");
    t.draw(|f| render(app, f, &Theme::plain())).expect("draw");
    t.draw(|f| render(app, f, &Theme::plain())).expect("draw");
    t.backend().to_string()
}

fn header(screen: &str) -> &str {
    screen.lines().next().unwrap_or_default()
}

fn listed_ids(text: &str) -> Vec<String> {
    text.lines()
        .skip(1)
        .filter_map(|l| {
            l.split_whitespace()
                .find(|w| w.len() == 32)
                .map(str::to_owned)
        })
        .collect()
}

// 1. Cost totals keep the lower-bound mark and never print $0 for unknown.
#[test]
fn header_cost_total_is_a_lower_bound_and_unknown_is_never_zero() {
    let mut a = app();
    let screen = draw(&mut a, 160, 20);
    // $0.0080 (partial) + ? + $0.0108 = a lower bound of $0.0188.
    assert!(header(&screen).contains("$0.0188+"), "{}", header(&screen));
    a.set_filter(Filter::parse(&format!("trace:{T2}")).expect("parses"));
    let screen = draw(&mut a, 160, 20);
    assert!(header(&screen).contains("· ?"), "{}", header(&screen));
    assert!(!header(&screen).contains("$0.0000"), "{}", header(&screen));
    a.set_filter(Filter::parse(&format!("trace:{T1}")).expect("parses"));
    let screen = draw(&mut a, 160, 20);
    assert!(header(&screen).contains("$0.0080+"), "{}", header(&screen));
}

#[test]
fn session_totals_say_unknown_and_lower_bound() {
    let out = stdout(&["show", &triage(), "--session", SESSION]);
    let total = out
        .lines()
        .find(|l| l.starts_with("session total:"))
        .expect("a total line");
    assert!(total.ends_with("cost $0.0188+"), "{total}");
    let mut a = app();
    let s = a.shared.set.traces[0].session;
    a.open_session(s);
    let screen = draw(&mut a, 160, 20);
    assert!(screen.contains("$0.0188+"), "{screen}");
}

// 2. cost> and tokens> compare a trace's total in the list, a span's own or subtree
// value in a tree.
#[test]
fn cost_and_tokens_match_trace_totals() {
    let f = triage();
    // T3 costs $0.0108 in all, no single call over $0.0063.
    assert_eq!(
        listed_ids(&stdout(&["ls", &f, "--filter", "cost>0.01"])),
        [T3]
    );
    assert_eq!(
        listed_ids(&stdout(&["ls", &f, "--filter", "cost>$0.01"])),
        [T3]
    );
    // T3 has 3.48k tokens in all, no single call over 1.9k, and the agent reports none.
    let over = listed_ids(&stdout(&["ls", &f, "--filter", "tokens>3k"]));
    assert_eq!(over, [T3, T1]);
    // An unknown total meets no comparison: T2 is not "under a cent".
    assert_eq!(
        listed_ids(&stdout(&["ls", &f, "--filter", "cost<0.01"])),
        [T1]
    );
    // Totals and span terms together: a tool step, in a trace over a cent.
    assert_eq!(
        listed_ids(&stdout(&["ls", &f, "--filter", "kind:tool cost>0.01"])),
        [T3]
    );
}

#[test]
fn a_parent_row_shows_its_subtree_cost_marked() {
    let out = stdout(&["show", &triage(), T3]);
    let root = out
        .lines()
        .find(|l| l.starts_with("invoke_agent triage"))
        .expect("the root row");
    assert!(root.contains("Σ$0.0108"), "{root}");
    assert!(root.contains("Σ3.20k→280"), "{root}");
    assert!(!root.contains(" ? "), "{root}");
}

fn open(a: &mut App, id: &str) {
    let t = a.shared.set.find_traces(id)[0];
    a.open_trace(t);
}

// 4. Integrity marks on the rows and in the trace header, and `is:` terms.
#[test]
fn orphans_are_marked_in_the_explorer_and_filterable() {
    let mut a = app();
    open(&mut a, T3);
    for (w, h) in [(80, 24), (160, 40)] {
        let screen = draw(&mut a, w, h);
        let row = screen
            .lines()
            .find(|l| l.contains("tools/call"))
            .unwrap_or_else(|| panic!("the MCP row: {screen}"));
        assert!(row.contains("[orphan]"), "{w}x{h}: {row}");
        let head = screen.lines().nth(1).expect("trace header");
        assert!(head.contains("[1 orphan]"), "{w}x{h}: {head}");
    }
    let f = triage();
    assert_eq!(
        listed_ids(&stdout(&["ls", &f, "--filter", "is:orphan"])),
        [T3]
    );
    assert_eq!(
        listed_ids(&stdout(&["ls", &f, "--filter", "is:error"])),
        [T3]
    );
    agtrace()
        .args(["ls", &f, "--filter", "is:warn"])
        .assert()
        .failure()
        .stderr(predicates::str::contains("none of the 3 traces match"));
    let mut a = app();
    a.set_filter(Filter::parse("is:orphan").expect("parses"));
    assert_eq!(a.list().totals.traces, 1);
    let bad = agtrace()
        .args(["ls", &f, "--filter", "is:sideways"])
        .assert()
        .failure()
        .get_output()
        .stderr
        .clone();
    assert!(String::from_utf8_lossy(&bad).contains("is:orphan"));
}

// 8. Tree columns: the reason when there is room, names before models, a waterfall
// that grows, tab labels abbreviated rather than clipped.
#[test]
fn tree_rows_use_the_width() {
    let mut a = app();
    open(&mut a, T3);
    let wide = draw(&mut a, 240, 20);
    let failed = wide
        .lines()
        .find(|l| l.contains("TOOL") && l.contains("execute_tool lookup_customer"))
        .unwrap_or_else(|| panic!("the failed tool row: {wide}"));
    assert!(failed.contains("customer not found: c-77"), "{failed}");
    let root = wide
        .lines()
        .find(|l| l.contains("invoke_agent triage") && l.contains("AGENT"))
        .expect("root row");
    let bar = root.chars().filter(|&c| c == '█').count();
    assert!(
        bar >= 24,
        "the waterfall grows with the pane: {bar} in {root}"
    );
    for w in [80u16, 100, 120, 140, 160, 200, 240] {
        let screen = draw(&mut a, w, 30);
        let tabs = screen
            .lines()
            .find(|l| l.contains("1") && (l.contains("Sum") || l.contains("[1")))
            .expect("tab bar");
        assert!(tabs.contains('7'), "{w}: the last tab is visible: {tabs}");
        let tool = screen
            .lines()
            .find(|l| l.contains("TOOL") && l.contains("execute_tool fetch_url"))
            .expect("a tool row");
        assert!(!tool.contains("fetch_u…"), "{w}: {tool}");
    }
}

// 5. Slow means slow steps (own time), and the slowest steps are one key away.
#[test]
fn slow_selects_steps_by_their_own_time() {
    use agtrace::tui::keymap::Action;
    use agtrace::tui::screens::ScreenKind;
    let mut a = app();
    a.update(Action::ToggleSlow);
    assert_eq!(a.shared.query.filter.source, "self>=1s");
    for _ in 0..3 {
        a.update(Action::SlowerThreshold);
    }
    // ≥ 8s: the 8.2s fetch_url step in the 12s run; the 3s and 2s runs have no such
    // step, and the 12s agent span is not itself slow.
    assert_eq!(a.shared.slow_ns, 8_000_000_000);
    assert_eq!(a.list().totals.traces, 1);
    a.update(Action::SlowerThreshold);
    assert_eq!(
        a.list().totals.traces,
        0,
        "no step of 16s, though a run lasts 12s"
    );
    let out = stdout(&["ls", &triage(), "--slow", "8s"]);
    assert_eq!(listed_ids(&out), [T3]);
    let out = stdout(&["ls", &triage(), "--filter", "self>5s"]);
    assert_eq!(listed_ids(&out), [T3]);

    let mut a = app();
    a.update(Action::SlowestSteps);
    assert_eq!(a.screen(), ScreenKind::Steps);
    let screen = draw(&mut a, 120, 20);
    let first = screen
        .lines()
        .find(|l| l.contains("8.20s"))
        .expect("a row of the slowest step");
    assert!(first.contains("execute_tool fetch_url"), "{first}");
    let rows: Vec<&str> = screen
        .lines()
        .filter(|l| l.starts_with("\"✓") || l.starts_with("\"✗"))
        .collect();
    assert!(rows[0].contains("fetch_url"), "slowest first: {rows:?}");
    let run = rows
        .iter()
        .find(|l| l.contains("AGENT") && l.contains("12.0s"))
        .expect("the 12s run's agent span");
    assert!(
        run.contains("400ms    12.0s"),
        "the run owns only what its children leave: {run}"
    );
    a.update(Action::Enter);
    assert_eq!(a.screen(), ScreenKind::Trace);
    let i = a.selected_span().expect("selection");
    assert_eq!(
        a.shared.set.str(a.shared.set.spans[i as usize].name),
        "execute_tool fetch_url"
    );
}

fn incident_and_triage() -> App {
    App::with_set(
        common::load_ok(&["triage.otlp.json", "agent-incident.otlp.json"]),
        "two".into(),
    )
}

// 7. List columns by priority: name and service always, the sorted column marked, the
// selection at the top of a new order.
#[test]
fn list_columns_fit_the_width_and_mark_the_sort() {
    use agtrace::tui::keymap::Action;
    let mut a = incident_and_triage();
    for w in [80u16, 120, 240] {
        let screen = draw(&mut a, w, 12);
        let head = screen.lines().nth(1).expect("column header");
        for col in ["NAME", "SERVICE", "SESSION", "DUR", "ERR"] {
            assert!(head.contains(col), "{w}: {col} in {head}");
        }
        assert!(head.contains("START↓"), "{w}: sorted column marked: {head}");
        if w >= 120 {
            assert!(head.contains("SPANS"), "{w}: {head}");
            assert!(screen.contains("research-agent"), "{w}: the service shows");
        }
        if w >= 240 {
            assert!(head.contains("TOKENS") && head.contains("COST"), "{head}");
        }
    }
    // Move down, sort by cost: the top of the new order is selected and visible.
    a.update(Action::Bottom);
    for _ in 0..4 {
        a.update(Action::Sort);
    }
    assert_eq!(a.shared.query.sort, agtrace::analysis::list::SortKey::Cost);
    assert_eq!(a.list().sel, 0);
    assert_eq!(a.list().offset, 0);
    let screen = draw(&mut a, 120, 12);
    assert!(screen.lines().nth(1).expect("header").contains("COST↓"));
}

// 9. Session view: milliseconds when turns share a second, what was said, turn keys.
#[test]
fn session_view_reads_turn_by_turn() {
    use agtrace::tui::keymap::Action;
    use agtrace::tui::screens::ScreenKind;
    let mut a = app();
    assert!(a.open_session_by_id(SESSION));
    let screen = draw(&mut a, 140, 12);
    for stamp in ["03:12:00.000", "03:12:00.060", "03:12:00.120"] {
        assert!(screen.contains(stamp), "{stamp}: {screen}");
    }
    assert!(
        screen.contains("“My order 8812"),
        "the user's input: {screen}"
    );
    assert!(
        screen.contains("customer not found"),
        "why turn 3 failed: {screen}"
    );
    // Enter opens turn 1; > and < walk the turns without going back.
    a.update(Action::Enter);
    assert_eq!(a.screen(), ScreenKind::Trace);
    let id = |a: &App| {
        a.shared.set.traces[a.trace().expect("trace").summary as usize]
            .id
            .to_string()
    };
    assert_eq!(id(&a), T1);
    a.update(Action::NextTurn);
    assert_eq!(id(&a), T2);
    a.update(Action::NextTurn);
    assert_eq!(id(&a), T3);
    a.update(Action::NextTurn);
    assert_eq!(id(&a), T3, "no turn after the last");
    assert!(a.shared.status.contains("last turn"));
    a.update(Action::PrevTurn);
    assert_eq!(id(&a), T2);
    a.update(Action::Back);
    assert_eq!(a.screen(), ScreenKind::Session);
    assert_eq!(
        a.session().expect("session").sel,
        1,
        "the session view followed"
    );
}

// 11. Several sources: the readable ones load, the rest are warnings.
#[test]
fn one_unreadable_source_does_not_abort_the_rest() {
    let log = common::fixture("not-traces/app.log").display().to_string();
    let out = agtrace()
        .args(["ls", &triage(), &log, "/no/such/dump.json"])
        .assert()
        .success();
    let o = out.get_output();
    assert_eq!(listed_ids(&String::from_utf8_lossy(&o.stdout)).len(), 3);
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("app.log: skipped"), "{err}");
    assert!(err.contains("/no/such/dump.json: skipped"), "{err}");
    let out = agtrace()
        .args(["ls", &log, "/no/such/dump.json"])
        .assert()
        .code(1);
    let err = String::from_utf8_lossy(&out.get_output().stderr).into_owned();
    assert!(err.contains("none of the 2 sources could be read"), "{err}");
    assert!(
        err.contains("a text file") && err.contains("/no/such/dump.json"),
        "{err}"
    );
}

// 12. Piped output is never cut; a terminal cuts ids in the middle.
#[test]
fn piped_ls_prints_ids_whole() {
    let out = stdout(&["ls", &triage()]);
    assert!(out.contains(SESSION), "{out}");
    assert_eq!(
        agtrace::format::truncate_middle(SESSION, 20),
        "sess-S1-v2…dentifier"
    );
}

// 13. A negated filter on the command line.
#[test]
fn a_filter_may_start_with_a_hyphen() {
    let out = stdout(&["ls", &triage(), "--filter", "-status:ok"]);
    assert_eq!(listed_ids(&out), [T3]);
}

// 14. A failed import leaves no store; a foreign SQLite file is named for what it is.
#[test]
fn a_refused_import_creates_no_store() {
    let dir = tempfile::tempdir().expect("tempdir");
    let db = dir.path().join("z.db");
    let log = common::fixture("not-traces/app.log").display().to_string();
    agtrace()
        .args(["import", &log, "--db", &db.display().to_string()])
        .assert()
        .code(1);
    assert!(!db.exists(), "no store left behind");
    assert!(std::fs::read_dir(dir.path()).expect("dir").next().is_none());
    let other = dir.path().join("other.db");
    let c = rusqlite::Connection::open(&other).expect("sqlite");
    c.execute_batch("CREATE TABLE t(x); INSERT INTO t VALUES (1);")
        .expect("create");
    drop(c);
    let out = agtrace()
        .args(["ls", &other.display().to_string()])
        .assert()
        .code(1);
    let err = String::from_utf8_lossy(&out.get_output().stderr).into_owned();
    assert!(err.contains("neither an agtrace store"), "{err}");
    assert!(
        !err.contains("import writes"),
        "ls was run, not import: {err}"
    );
}

// 15. While typing a filter, the status counts what matches now.
#[test]
fn typing_a_filter_counts_matches_as_it_goes() {
    use crossterm::event::{KeyCode, KeyEvent};
    let mut a = app();
    a.update(agtrace::tui::keymap::Action::Filter);
    for c in "is:orphan".chars() {
        a.filter_key(KeyEvent::from(KeyCode::Char(c)));
    }
    assert!(
        a.shared.status.starts_with("1 match so far"),
        "{}",
        a.shared.status
    );
}

// 18. References an installed binary carries.
#[test]
fn help_topics_print_the_references() {
    let f = stdout(&["help", "filter"]);
    for term in [
        "status:error",
        "is:orphan",
        "self>=2s",
        "tokens>10k",
        "attr.",
        "-status:ok",
    ] {
        assert!(f.contains(term), "{term}");
    }
    let k = stdout(&["help", "keys"]);
    assert!(k.contains("slowest steps of all traces"), "{k}");
    assert!(k.contains("^z") && k.contains("suspend"), "{k}");
    assert!(k.contains(">") && k.contains("next turn"), "{k}");
    let fm = stdout(&["help", "formats"]);
    assert!(
        fm.contains("OTLP protobuf") && fm.contains("agtrace store"),
        "{fm}"
    );
    let open = stdout(&["open", "--help"]);
    assert!(open.contains("SQLite"), "{open}");
    agtrace().args(["help", "colours"]).assert().code(2);
}

// 6. Text search: error messages, exception messages, prompts and tool payloads.
#[test]
fn words_find_errors_prompts_and_payloads() {
    let mut a = incident_and_triage();
    let ids = |a: &App| -> Vec<String> {
        a.list()
            .rows
            .iter()
            .filter_map(|r| match r {
                agtrace::tui::screens::list::ListRow::Trace(t) => {
                    Some(a.shared.set.traces[*t as usize].id.to_string())
                }
                _ => None,
            })
            .collect()
    };
    // A status message and an exception event's message.
    a.set_filter(Filter::parse("timeout").expect("parses"));
    assert_eq!(ids(&a), ["0af7651916cd43dd8448eb211c80319c"]);
    a.set_filter(Filter::parse("\"customer not found\"").expect("parses"));
    assert_eq!(ids(&a), [T3]);
    a.set_filter(Filter::parse("text:GatewayTimeout").expect("parses"));
    assert_eq!(ids(&a), ["0af7651916cd43dd8448eb211c80319c"]);
    // A tool's arguments, and a prompt.
    a.set_filter(Filter::parse("text:status.example.com").expect("parses"));
    assert_eq!(ids(&a), [T3]);
    a.set_filter(Filter::parse("text:\"refund policy\"").expect("parses"));
    assert_eq!(ids(&a), ["d4cda95b652f4a1592b449d5929fda1b"]);
    // In the tree, the span that says it is the match.
    a.set_filter(Filter::parse("\"customer not found\"").expect("parses"));
    let t = a.shared.set.find_traces(T3)[0];
    a.open_trace(t);
    let m = &a.trace().expect("trace").matches;
    let names: Vec<&str> = m
        .iter()
        .map(|&i| a.shared.set.str(a.shared.set.spans[i as usize].name))
        .collect();
    assert_eq!(names, ["execute_tool lookup_customer"]);
}
