//! SQLite stores: import → read back gives the same model as the files; re-import
//! changes nothing; an interrupted import leaves a valid store that a rerun completes;
//! opening never writes; bad files get clear messages; Phoenix's layout reads.

mod common;
use agtrace::input::load;
use agtrace::source::{Input, LoadError, LoadOptions};
use agtrace::store::{StoreError, import};
use common::{canonical, fixture};
use rusqlite::Connection;
use std::path::{Path, PathBuf};

fn import_files(db: &Path, rels: &[&str]) -> agtrace::store::ImportReport {
    let inputs: Vec<Input> = rels.iter().map(|r| Input::Path(fixture(r))).collect();
    import(db, &inputs, &LoadOptions::with_threads(2), |_, _| {}).expect("import")
}

fn load_store(db: &Path) -> agtrace::model::TraceSet {
    load(
        &[Input::Path(db.to_path_buf())],
        &LoadOptions::with_threads(2),
    )
    .expect("load store")
}

/// The canonical form without the integrity marks of duplicates (a store holds each
/// span once, so "received twice" cannot survive a round trip by design).
fn model(set: &agtrace::model::TraceSet) -> String {
    let text = canonical(set);
    let mut out = String::with_capacity(text.len());
    for line in text.lines() {
        let mut l = line.to_owned();
        if let Some(p) = l.find("marks=") {
            let digits: String = l[p + 6..]
                .chars()
                .take_while(char::is_ascii_digit)
                .collect();
            if let Ok(n) = digits.parse::<u8>() {
                l.replace_range(
                    p + 6..p + 6 + digits.len(),
                    &(n & !agtrace::model::Marks::DUPLICATE).to_string(),
                );
            }
        }
        if let Some(p) = l.find("duplicates: ") {
            let digits: String = l[p + 12..]
                .chars()
                .take_while(char::is_ascii_digit)
                .collect();
            l.replace_range(p + 12..p + 12 + digits.len(), "0");
        }
        out.push_str(&l);
        out.push('\n');
    }
    out
}

#[test]
fn import_then_read_gives_the_same_model() {
    let dir = tempfile::tempdir().expect("tempdir");
    for rel in [
        "agent-incident.otlp.json",
        "shapes/anyvalues.json",
        "integrity.json",
    ] {
        let db = dir.path().join(format!("{}.db", rel.replace('/', "_")));
        let report = import_files(&db, &[rel]);
        let direct = common::load_ok(&[rel]);
        assert_eq!(report.spans_written as usize, direct.spans.len(), "{rel}");
        let back = load_store(&db);
        assert_eq!(
            model(&back),
            model(&direct),
            "{rel}: the store reads back differently"
        );
        // Aggregates and steps too, trace by trace.
        for a in &direct.traces {
            let b = &back.traces[back.trace_index[&a.id] as usize];
            assert_eq!(
                (
                    a.error_count,
                    a.warning_count,
                    a.llm_calls,
                    a.tokens,
                    a.cost()
                ),
                (
                    b.error_count,
                    b.warning_count,
                    b.llm_calls,
                    b.tokens,
                    b.cost()
                )
            );
        }
        let conn = Connection::open(&db).expect("open");
        let mode: String = conn
            .query_row("PRAGMA journal_mode", [], |r| r.get(0))
            .expect("pragma");
        assert_eq!(mode, "wal");
        let version: i64 = conn
            .query_row("PRAGMA user_version", [], |r| r.get(0))
            .expect("pragma");
        assert_eq!(version, agtrace::store::schema::VERSION);
    }
}

#[test]
fn reimport_changes_nothing_and_traces_merge_across_imports() {
    let dir = tempfile::tempdir().expect("tempdir");
    let db = dir.path().join("s.db");
    import_files(&db, &["folder/traces-2025-11-21T03.jsonl"]);
    let r2 = import_files(&db, &["folder/traces-2025-11-21T04.jsonl"]);
    assert!(r2.spans_written > 0);
    // Trace B was split over both files: the store now holds it whole.
    let set = load_store(&db);
    let b = &set.traces[set.find_traces("0af7")[0] as usize];
    assert_eq!((b.span_count, b.integrity.orphans), (5, 0));
    let conn = Connection::open(&db).expect("open");
    let count = |sql: &str| -> i64 { conn.query_row(sql, [], |r| r.get(0)).expect("count") };
    let spans_before = count("SELECT count(*) FROM spans");
    let events_before = count("SELECT count(*) FROM events");
    let error_count: i64 = conn
        .query_row(
            "SELECT error_count FROM traces WHERE trace_id LIKE '0af7%'",
            [],
            |r| r.get(0),
        )
        .expect("trace row");
    assert_eq!(error_count, 3, "aggregates cover spans from both imports");
    // Each import wrote a full-text document for its part of trace B.
    let docs = |q: &str| -> Vec<(i64, String)> {
        conn.prepare(
            "SELECT trace_text.rowid, s.trace_id FROM trace_text JOIN spans s ON s.id = trace_text.rowid WHERE trace_text MATCH ?1 ORDER BY 1",
        )
        .expect("prepare")
        .query_map([q], |r| Ok((r.get(0)?, r.get(1)?)))
        .expect("match")
        .collect::<Result<_, _>>()
        .expect("rows")
    };
    let b_id = b.id.to_string();
    let first_part = docs("tool_name: refund_payment");
    let second_part = docs("name: post");
    assert!(first_part.iter().any(|(_, t)| *t == b_id), "{first_part:?}");
    assert!(
        second_part.iter().any(|(_, t)| *t == b_id),
        "{second_part:?}"
    );
    let again = import_files(&db, &["folder"]);
    assert_eq!(again.spans_written, 0);
    assert_eq!(count("SELECT count(*) FROM spans"), spans_before);
    assert_eq!(count("SELECT count(*) FROM events"), events_before);
    assert_eq!(
        docs("name: post"),
        second_part,
        "no documents for nothing new"
    );
    assert!(events_before > 0, "the fixture has events");
}

fn big_jsonl(path: &Path, traces: usize) {
    let mut s = String::new();
    for t in 0..traces {
        let spans: Vec<String> = (0..10)
            .map(|k| {
                format!(
                    r#"{{"traceId":"{t:032x}","spanId":"{:016x}","parentSpanId":"{}","name":"chat","startTimeUnixNano":"{}","endTimeUnixNano":"{}","attributes":[{{"key":"gen_ai.operation.name","value":{{"stringValue":"chat"}}}},{{"key":"gen_ai.request.model","value":{{"stringValue":"gpt-4o"}}}},{{"key":"gen_ai.usage.input_tokens","value":{{"intValue":"100"}}}}]}}"#,
                    t * 16 + k + 1,
                    if k == 0 { String::new() } else { format!("{:016x}", t * 16 + 1) },
                    1000 + k,
                    2000 + k
                )
            })
            .collect();
        s.push_str(&format!(
            r#"{{"resourceSpans":[{{"scopeSpans":[{{"spans":[{}]}}]}}]}}"#,
            spans.join(",")
        ));
        s.push('\n');
    }
    std::fs::write(path, s).expect("write");
}

#[test]
fn an_interrupted_import_leaves_a_valid_store_and_a_rerun_completes() {
    let dir = tempfile::tempdir().expect("tempdir");
    let src = dir.path().join("big.jsonl");
    big_jsonl(&src, 8_000);
    let db = dir.path().join("s.db");
    let mut child = std::process::Command::new(assert_cmd::cargo::cargo_bin("agtrace"))
        .args([
            "import",
            src.to_str().expect("path"),
            "--db",
            db.to_str().expect("path"),
        ])
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("spawn");
    // Wait until at least one batch is committed, then kill the import mid-way.
    let start = std::time::Instant::now();
    let mut committed = 0i64;
    while start.elapsed() < std::time::Duration::from_secs(60) {
        if let Ok(c) = Connection::open_with_flags(&db, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY)
            && let Ok(n) = c.query_row("SELECT count(*) FROM spans", [], |r| r.get::<_, i64>(0))
            && n > 0
        {
            committed = n;
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(5));
    }
    let _ = child.kill();
    let _ = child.wait();
    assert!(committed > 0, "no batch was committed before the kill");
    let conn = Connection::open(&db).expect("open");
    let ok: String = conn
        .query_row("PRAGMA integrity_check", [], |r| r.get(0))
        .expect("check");
    assert_eq!(ok, "ok");
    let spans: i64 = conn
        .query_row("SELECT count(*) FROM spans", [], |r| r.get(0))
        .expect("count");
    let in_traces: i64 = conn
        .query_row("SELECT coalesce(sum(span_count), 0) FROM traces", [], |r| {
            r.get(0)
        })
        .expect("count");
    assert_eq!(
        spans, in_traces,
        "every committed span has its trace row: batches are atomic"
    );
    assert!(
        spans > 0 && spans % agtrace::store::import::BATCH_SPANS as i64 == 0 || spans == 80_000,
        "whole batches only: {spans}"
    );
    drop(conn);
    // The rerun continues: everything is there afterwards, nothing twice.
    let report = import(
        &db,
        &[Input::Path(src.clone())],
        &LoadOptions::with_threads(2),
        |_, _| {},
    )
    .expect("rerun");
    assert_eq!(report.spans_written as i64, 80_000 - spans);
    let set = load_store(&db);
    assert_eq!(set.spans.len(), 80_000);
}

#[test]
fn opening_a_store_never_writes_it() {
    let dir = tempfile::tempdir().expect("tempdir");
    let db = dir.path().join("s.db");
    import_files(&db, &["agent-incident.otlp.json"]);
    let ro = dir.path().join("ro");
    std::fs::create_dir(&ro).expect("mkdir");
    let copy = ro.join("s.db");
    std::fs::copy(&db, &copy).expect("copy");
    let before = std::fs::read(&copy).expect("read");
    let mut perms = std::fs::metadata(&ro).expect("meta").permissions();
    use std::os::unix::fs::PermissionsExt as _;
    perms.set_mode(0o555);
    std::fs::set_permissions(&ro, perms.clone()).expect("chmod");
    let set = load_store(&copy);
    assert_eq!(set.traces.len(), 4);
    perms.set_mode(0o755);
    std::fs::set_permissions(&ro, perms).expect("chmod back");
    assert_eq!(
        std::fs::read(&copy).expect("read"),
        before,
        "the store file is unchanged"
    );
    // SQLite may add its shared-memory index (-shm) beside a WAL store it reads, but
    // never changes the store's content.
    let extra: Vec<PathBuf> = std::fs::read_dir(&ro)
        .expect("ls")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| {
            p != &copy
                && !p.to_string_lossy().ends_with("-shm")
                && !p.to_string_lossy().ends_with("-wal")
        })
        .collect();
    assert!(extra.is_empty(), "nothing else was created: {extra:?}");
}

fn load_err(path: &Path) -> String {
    match load(
        &[Input::Path(path.to_path_buf())],
        &LoadOptions::with_threads(1),
    ) {
        Err(e) => e.to_string(),
        Ok(s) => panic!("expected an error, loaded {} spans", s.spans.len()),
    }
}

#[test]
fn bad_databases_get_clear_messages() {
    let dir = tempfile::tempdir().expect("tempdir");
    // A SQLite database that is not a store: reading and importing both refuse.
    let other = dir.path().join("other.db");
    Connection::open(&other)
        .expect("open")
        .execute_batch("CREATE TABLE users (id INTEGER); INSERT INTO users VALUES (1);")
        .expect("create");
    assert!(
        load_err(&other).contains("neither an agtrace store"),
        "{}",
        load_err(&other)
    );
    let r = import(
        &other,
        &[Input::Path(fixture("agent-incident.otlp.json"))],
        &LoadOptions::with_threads(1),
        |_, _| {},
    );
    assert!(
        matches!(r, Err(StoreError::NotImportTarget { .. })),
        "{r:?}"
    );
    let users: i64 = Connection::open(&other)
        .expect("open")
        .query_row("SELECT count(*) FROM users", [], |r| r.get(0))
        .expect("count");
    assert_eq!(users, 1, "left as it was");
    // Importing into a file that is not SQLite at all is refused, the file untouched.
    let json = dir.path().join("not.db");
    std::fs::copy(fixture("agent-incident.otlp.json"), &json).expect("copy");
    let r = import(
        &json,
        &[Input::Path(fixture("shapes/anyvalues.json"))],
        &LoadOptions::with_threads(1),
        |_, _| {},
    );
    assert!(r.is_err());
    assert_eq!(
        std::fs::read(&json).expect("read"),
        std::fs::read(fixture("agent-incident.otlp.json")).expect("read")
    );
    // A store from a newer agtrace.
    let newer = dir.path().join("newer.db");
    import_files(&newer, &["agent-incident.otlp.json"]);
    Connection::open(&newer)
        .expect("open")
        .pragma_update(None, "user_version", 99)
        .expect("pragma");
    let msg = load_err(&newer);
    assert!(
        msg.contains("schema version 99") && msg.contains("upgrade agtrace"),
        "{msg}"
    );
    // A damaged store.
    let bad = dir.path().join("bad.db");
    import_files(&bad, &["agent-incident.otlp.json"]);
    let mut bytes = std::fs::read(&bad).expect("read");
    for b in bytes.iter_mut().skip(100) {
        *b ^= 0x5a;
    }
    std::fs::write(&bad, bytes).expect("write");
    let msg = load_err(&bad);
    assert!(
        msg.contains("damaged") || msg.contains("malformed") || msg.contains("not a database"),
        "{msg}"
    );
    assert!(matches!(
        load(&[Input::Path(bad)], &LoadOptions::with_threads(1)),
        Err(LoadError::Store(_))
    ));
}

#[test]
fn concurrent_imports_serialize() {
    let dir = tempfile::tempdir().expect("tempdir");
    let db = dir.path().join("s.db");
    import_files(&db, &["integrity.json"]);
    let a = dir.path().join("a.jsonl");
    let b = dir.path().join("b.jsonl");
    big_jsonl(&a, 3000);
    std::fs::copy(fixture("agent-incident.otlp.json"), &b).expect("copy");
    let spawn = |src: &Path| {
        std::process::Command::new(assert_cmd::cargo::cargo_bin("agtrace"))
            .args([
                "import",
                src.to_str().expect("path"),
                "--db",
                db.to_str().expect("path"),
            ])
            .output()
            .expect("run")
    };
    let (ra, rb) = std::thread::scope(|s| {
        let ha = s.spawn(|| spawn(&a));
        let hb = s.spawn(|| spawn(&b));
        (ha.join().expect("a"), hb.join().expect("b"))
    });
    for r in [&ra, &rb] {
        assert!(
            r.status.success()
                || String::from_utf8_lossy(&r.stderr).contains("another import is writing"),
            "{}",
            String::from_utf8_lossy(&r.stderr)
        );
    }
    let conn = Connection::open(&db).expect("open");
    let ok: String = conn
        .query_row("PRAGMA integrity_check", [], |r| r.get(0))
        .expect("check");
    assert_eq!(ok, "ok");
    let set = load_store(&db);
    assert_eq!(set.spans.len(), 11 + 30_000 + 16);
}

/// Two imports into a store that does not exist yet: the second waits for the first
/// to create the schema instead of creating it again, failing and deleting the store
/// the first is writing (it did, one run in three). Both succeed; every span is there.
#[test]
fn two_imports_creating_one_store_both_land() {
    let dir = tempfile::tempdir().expect("tempdir");
    // The same input twice: both reach the store at the same moment.
    let a = dir.path().join("a.jsonl");
    big_jsonl(&a, 300);
    let b = dir.path().join("b.jsonl");
    std::fs::copy(&a, &b).expect("copy");
    // Twenty rounds, as the issue's proof asks.
    for round in 0..20 {
        let db = dir.path().join(format!("new-{round}.db"));
        let start = std::sync::Barrier::new(2);
        let run = |src: &Path| {
            start.wait();
            agtrace::store::import(
                &db,
                &[agtrace::source::Input::Path(src.to_path_buf())],
                &agtrace::source::LoadOptions::with_threads(1),
                |_, _| {},
            )
        };
        let (ra, rb) = std::thread::scope(|s| {
            let ha = s.spawn(|| run(&a));
            let hb = s.spawn(|| run(&b));
            (ha.join().expect("a"), hb.join().expect("b"))
        });
        for r in [&ra, &rb] {
            assert!(r.is_ok(), "round {round}: {:?}", r.as_ref().err());
        }
        let set = load_store(&db);
        assert_eq!(set.spans.len(), 3_000, "round {round}");
    }
}

#[test]
fn phoenix_store_reads_with_kinds_tokens_costs_sessions_and_tree() {
    let dir = tempfile::tempdir().expect("tempdir");
    let db = dir.path().join("phoenix.db");
    let conn = Connection::open(&db).expect("open");
    conn.execute_batch(
        r#"
        CREATE TABLE projects (id INTEGER PRIMARY KEY, name TEXT UNIQUE NOT NULL, description TEXT, created_at TIMESTAMP, updated_at TIMESTAMP);
        CREATE TABLE project_sessions (id INTEGER PRIMARY KEY, session_id TEXT UNIQUE NOT NULL, project_id INTEGER, start_time TIMESTAMP, end_time TIMESTAMP);
        CREATE TABLE traces (id INTEGER PRIMARY KEY, project_rowid INTEGER NOT NULL, trace_id TEXT UNIQUE NOT NULL, start_time TIMESTAMP, end_time TIMESTAMP, project_session_rowid INTEGER);
        CREATE TABLE spans (id INTEGER PRIMARY KEY, trace_rowid INTEGER NOT NULL, span_id TEXT UNIQUE NOT NULL, parent_id TEXT, name TEXT NOT NULL, span_kind TEXT NOT NULL, start_time TIMESTAMP NOT NULL, end_time TIMESTAMP NOT NULL, attributes JSONB NOT NULL, events JSONB NOT NULL, status_code TEXT NOT NULL, status_message TEXT NOT NULL, cumulative_error_count INTEGER, cumulative_llm_token_count_prompt INTEGER, cumulative_llm_token_count_completion INTEGER, llm_token_count_prompt INTEGER, llm_token_count_completion INTEGER);
        CREATE TABLE span_costs (id INTEGER PRIMARY KEY, span_rowid INTEGER, trace_rowid INTEGER, span_start_time TIMESTAMP, model_id INTEGER, total_cost FLOAT, total_tokens FLOAT, prompt_cost FLOAT, prompt_tokens FLOAT, completion_cost FLOAT, completion_tokens FLOAT);
        INSERT INTO projects VALUES (1, 'support-bot', NULL, '2025-11-21 03:00:00', '2025-11-21 03:00:00');
        INSERT INTO project_sessions VALUES (1, 'sess-42', 1, '2025-11-21 03:12:00', '2025-11-21 03:12:09');
        INSERT INTO traces VALUES (1, 1, 'a1b2c3d4e5f60718293a4b5c6d7e8f90', '2025-11-21 03:12:00', '2025-11-21 03:12:09', 1);
        INSERT INTO spans VALUES (1, 1, '1111111111111111', NULL, 'Agent', 'AGENT', '2025-11-21 03:12:00+00:00', '2025-11-21 03:12:09+00:00',
            '{"openinference":{"span":{"kind":"AGENT"}},"session":{"id":"sess-42"},"user":{"id":"u-7"},"input":{"value":"refund my order"}}', '[]', 'OK', '', 1, 1500, 120, NULL, NULL);
        INSERT INTO spans VALUES (2, 1, '2222222222222222', '1111111111111111', 'ChatOpenAI', 'LLM', '2025-11-21T03:12:00.100+00:00', '2025-11-21T03:12:02.5+00:00',
            '{"llm":{"model_name":"gpt-4o-mini","provider":"openai","token_count":{"prompt":1500,"completion":120,"total":1620},"input_messages":[{"message":{"role":"user","content":"refund my order"}}]},"openinference":{"span":{"kind":"LLM"}}}',
            '[]', 'OK', '', 0, 1500, 120, 1500, 120);
        INSERT INTO spans VALUES (3, 1, '3333333333333333', '1111111111111111', 'lookup_order', 'TOOL', '2025-11-21 03:12:03', '2025-11-21 03:12:08',
            '{"tool":{"name":"lookup_order"},"input":{"value":"{\"id\": 8812}"},"openinference":{"span":{"kind":"TOOL"}}}',
            '[{"name":"exception","timestamp":"2025-11-21T03:12:07+00:00","attributes":{"exception":{"type":"KeyError","message":"order 8812","stacktrace":"Traceback..."}}}]',
            'ERROR', 'KeyError: order 8812', 1, 0, 0, NULL, NULL);
        INSERT INTO span_costs VALUES (1, 2, 1, '2025-11-21 03:12:00', NULL, 0.000297, 1620, 0.000225, 1500, 0.000072, 120);
        "#,
    )
    .expect("phoenix layout");
    drop(conn);
    let set = load_store(&db);
    assert_eq!(set.spans.len(), 3);
    assert_eq!(set.traces.len(), 1);
    let t = &set.traces[0];
    assert_eq!(set.str(t.root_name), "Agent");
    assert_eq!(set.str(t.service), "support-bot");
    assert_eq!(set.str(t.session), "sess-42");
    assert_eq!(
        (t.tokens.input, t.tokens.output),
        (Some(1500), Some(120)),
        "from the LLM leaf only"
    );
    assert_eq!(
        t.cost(),
        Some(0.000297),
        "Phoenix's computed cost is a provided cost"
    );
    assert_eq!((t.error_count, t.llm_calls, t.tool_calls), (1, 1, 1));
    let kinds: Vec<(&str, &str)> = (0..3u32)
        .map(|i| {
            (
                set.str(set.spans[i as usize].name),
                set.step(i).kind.as_str(),
            )
        })
        .collect();
    assert!(
        kinds.contains(&("Agent", "agent"))
            && kinds.contains(&("ChatOpenAI", "llm"))
            && kinds.contains(&("lookup_order", "tool")),
        "{kinds:?}"
    );
    let tool = set
        .spans
        .iter()
        .position(|s| set.str(s.name) == "lookup_order")
        .expect("tool") as u32;
    assert_eq!(set.spans[tool as usize].depth, 1);
    assert_eq!(set.str(set.step(tool).tool_name), "lookup_order");
    assert_eq!(
        set.str(set.span_events(&set.spans[tool as usize])[0].name),
        "exception"
    );
    let llm = set
        .spans
        .iter()
        .position(|s| set.str(s.name) == "ChatOpenAI")
        .expect("llm");
    assert_eq!(set.spans[llm].start, 1_763_694_720_100_000_000);
    // Phoenix stores are read-only for agtrace import.
    let r = import(
        &db,
        &[Input::Path(fixture("agent-incident.otlp.json"))],
        &LoadOptions::with_threads(1),
        |_, _| {},
    );
    assert!(matches!(r, Err(StoreError::NotImportTarget { .. })));
}

#[test]
fn cli_reads_stores_like_files_and_mixes_them() {
    let dir = tempfile::tempdir().expect("tempdir");
    let db = dir.path().join("s.db");
    import_files(&db, &["agent-incident.otlp.json"]);
    let run = |args: &[&str]| {
        let out = std::process::Command::new(assert_cmd::cargo::cargo_bin("agtrace"))
            .args(args)
            .output()
            .expect("run");
        assert!(
            out.status.success(),
            "{args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).expect("utf8")
    };
    let d = db.to_str().expect("path");
    assert_eq!(
        common::listing_without_sources(&run(&["ls", d, "--json"])),
        common::listing_without_sources(&run(&[
            "ls",
            fixture("agent-incident.otlp.json").to_str().expect("path"),
            "--json"
        ]))
    );
    assert!(run(&["show", d, "0af7"]).contains("payment gateway timeout"));
    assert!(run(&["show", d, "--session", "conv-8812"]).contains("session total: 2 turns"));
    assert!(run(&["ls", d, "--filter", "tool:refund*"]).contains("0af76519"));
    // `text:` through the store's index lists what the dump lists.
    let f = fixture("agent-incident.otlp.json");
    for q in ["text:timeout", "text:\"charged twice\" | text:refund"] {
        let from_store = run(&["ls", d, "--json", "--filter", q]);
        assert!(!from_store.is_empty(), "{q}");
        assert_eq!(
            common::listing_without_sources(&from_store),
            common::listing_without_sources(&run(&[
                "ls",
                f.to_str().expect("path"),
                "--json",
                "--filter",
                q
            ])),
            "{q}"
        );
    }
    let mixed = run(&[
        "ls",
        d,
        fixture("shapes/anyvalues.json").to_str().expect("path"),
        "--json",
    ]);
    assert_eq!(mixed.lines().count(), 5);
}

/// `testdata/stores/v1.db`, `v2.db` and `v3.db` were written by the schema-1, 2 and 3
/// builds of agtrace (commits 6ed7a9a, 221bc55 and 45488de) from three fixtures, then
/// set to a rollback journal (so reading a fixture leaves no `-wal`/`-shm` in the
/// repository; v2.db was also vacuumed to 4 KiB pages to keep it small). This build reads each as it is and
/// migrates it on import.
#[test]
fn older_schema_stores_read_and_migrate_on_import() {
    let rels = [
        "agent-incident.otlp.json",
        "shapes/anyvalues.json",
        "integrity.json",
    ];
    let direct = common::load_ok(&rels);
    let refund = agtrace::query::filter::Filter::parse("text:refund").expect("filter");
    let prices = agtrace::semconv::PriceTable::bundled();
    let saying_refund = agtrace::analysis::list::TraceListQuery::new(refund.clone())
        .run(&direct)
        .len();
    assert!(saying_refund > 0);
    // What is gone once migrated: schema 1's attribute table, schema 2's per-span text
    // index, schema 3's word index (its `messages` column).
    for (old, gone) in [
        (
            "stores/v1.db",
            "SELECT count(*) FROM sqlite_master WHERE name = 'attributes'",
        ),
        (
            "stores/v2.db",
            "SELECT count(*) FROM sqlite_master WHERE name = 'span_text'",
        ),
        (
            "stores/v3.db",
            "SELECT count(*) FROM pragma_table_info('trace_text') WHERE name = 'messages'",
        ),
    ] {
        let dir = tempfile::tempdir().expect("tempdir");
        let db = dir.path().join("old.db");
        std::fs::copy(fixture(old), &db).expect("copy");
        assert_eq!(
            model(&load_store(&db)),
            model(&direct),
            "{old} read as it is"
        );
        assert!(
            agtrace::store::text_candidates(&db, &refund, &prices)
                .expect("search")
                .is_none(),
            "{old}: no trigram index to narrow text: with (every span is read instead)"
        );

        // Importing anything into it upgrades it first, in the same transaction.
        let report = import_files(&db, &["agent-incident.otlp.json"]);
        assert_eq!(
            report.spans_written, 0,
            "{old}: everything was already there"
        );
        let conn = Connection::open(&db).expect("open");
        let version: i64 = conn
            .query_row("PRAGMA user_version", [], |r| r.get(0))
            .expect("pragma");
        assert_eq!(version, agtrace::store::schema::VERSION);
        let ok: String = conn
            .query_row("PRAGMA integrity_check", [], |r| r.get(0))
            .expect("check");
        assert_eq!(ok, "ok");
        let old_tables: i64 = conn.query_row(gone, [], |r| r.get(0)).expect("count");
        assert_eq!(old_tables, 0, "{old}: {gone}");
        // The rebuilt full-text index covers the migrated traces.
        let docs: i64 = conn
            .query_row(
                "SELECT count(DISTINCT s.trace_id) FROM trace_text JOIN spans s ON s.id = trace_text.rowid WHERE trace_text MATCH 'text: refund'",
                [],
                |r| r.get(0),
            )
            .expect("match");
        assert!(docs > 0, "{old}: text is searchable after migration");
        drop(conn);
        assert_eq!(model(&load_store(&db)), model(&direct), "{old} migrated");
        let found = agtrace::store::text_candidates(&db, &refund, &prices)
            .expect("search")
            .expect("narrowed by the rebuilt index");
        assert_eq!(
            agtrace::analysis::list::TraceListQuery::new(refund.clone())
                .run(&found)
                .len(),
            saying_refund,
            "{old}: text: through the rebuilt index"
        );
    }
}

/// The attribute column is plain JSON that SQL can query by key, and the full-text
/// index finds the traces whose text holds a substring, as `text:` does in memory.
#[test]
fn attributes_and_text_are_queryable_in_sql() {
    let dir = tempfile::tempdir().expect("tempdir");
    let db = dir.path().join("s.db");
    import_files(&db, &["agent-incident.otlp.json"]);
    let conn = Connection::open(&db).expect("open");
    let models: Vec<String> = conn
        .prepare(
            "SELECT DISTINCT attributes ->> '$.\"gen_ai.request.model\"' AS m FROM spans WHERE m IS NOT NULL ORDER BY 1",
        )
        .expect("prepare")
        .query_map([], |r| r.get(0))
        .expect("query")
        .collect::<Result<_, _>>()
        .expect("rows");
    let direct = common::load_ok(&["agent-incident.otlp.json"]);
    let key = direct.strings.lookup("gen_ai.request.model");
    let mut expected: Vec<String> = direct
        .spans
        .iter()
        .flat_map(|s| direct.span_attrs(s))
        .filter(|a| Some(a.key) == key)
        .filter_map(|a| a.value.as_str(&direct.strings).map(str::to_owned))
        .collect();
    expected.sort();
    expected.dedup();
    assert!(!expected.is_empty());
    assert_eq!(models, expected);
    let hits = |q: &str| -> Vec<String> {
        conn.prepare(
            "SELECT DISTINCT s.trace_id FROM trace_text JOIN spans s ON s.id = trace_text.rowid WHERE trace_text MATCH ?1 ORDER BY 1",
        )
        .expect("prepare")
        .query_map([q], |r| r.get(0))
        .expect("match")
        .collect::<Result<_, _>>()
        .expect("rows")
    };
    // The traces whose text says "refund" (any case), found without the index.
    let saying = |needle: &str| -> Vec<String> {
        let filter =
            agtrace::query::filter::Filter::parse(&format!("text:{needle}")).expect("filter");
        let mut ids: Vec<String> = agtrace::analysis::list::TraceListQuery::new(filter)
            .run(&direct)
            .into_iter()
            .map(|t| direct.traces[t as usize].id.to_string())
            .collect();
        ids.sort();
        ids
    };
    assert!(!saying("refund").is_empty());
    assert_eq!(
        hits("text: refund"),
        saying("refund"),
        "prompt words find their traces"
    );
    assert_eq!(hits("text: REFUND"), saying("refund"), "in any case");
    assert!(hits("text: efun").is_empty(), "the index holds words");
    let prices = agtrace::semconv::PriceTable::bundled();
    let inside = agtrace::store::text_candidates(
        &db,
        &agtrace::query::filter::Filter::parse("text:efun").expect("filter"),
        &prices,
    )
    .expect("search")
    .expect("narrowed");
    let mut found: Vec<String> = inside.traces.iter().map(|t| t.id.to_string()).collect();
    found.sort();
    assert_eq!(found, saying("efun"), "text: finds what is inside words");
    assert!(
        !hits("role").is_empty(),
        "JSON keys are indexed as they are"
    );
    assert!(!hits("\"charged twice\"").is_empty(), "phrases match");
    assert!(hits("\"twice charged\"").is_empty(), "in their order");
    // Span names and tool names are indexed in their own columns.
    let tool = (0..direct.spans.len() as u32)
        .map(|i| direct.str(direct.step(i).tool_name))
        .find(|t| !t.is_empty())
        .expect("a tool span");
    assert!(
        !hits(&format!("tool_name: \"{tool}\"")).is_empty(),
        "tool {tool}"
    );
}

/// `text:` over a store (its trigram index names the candidate traces, the exact
/// matcher decides) finds exactly the traces it finds in memory, for needles cut from
/// every piece of text the fixtures carry, in changed case, alone, together and in
/// alternatives; needles the index cannot take (no word of three letters or digits,
/// non-ASCII) are left to a scan.
#[test]
fn text_search_over_a_store_matches_memory() {
    let rels = [
        "agent-incident.otlp.json",
        "triage.otlp.json",
        "shapes/anyvalues.json",
        "integrity.json",
        "hostile.json",
    ];
    let direct = common::load_ok(&rels);
    let dir = tempfile::tempdir().expect("tempdir");
    let db = dir.path().join("s.db");
    import_files(&db, &rels);
    // Needles: substrings of each piece of text at a few places and lengths.
    let mut needles = std::collections::BTreeSet::new();
    for s in &direct.spans {
        agtrace::query::text::any_piece(&direct, s, &mut |p| {
            let text = match p {
                agtrace::query::text::Piece::Sym(s) => direct.str(s),
                agtrace::query::text::Piece::Text(t) => t,
            };
            let chars: Vec<char> = text.chars().filter(|c| *c != '"').collect();
            for (at, len) in [(0, 3), (1, 5), (4, 9), (chars.len() / 2, 6)] {
                if at + len <= chars.len() {
                    needles.insert(chars[at..at + len].iter().collect::<String>());
                }
            }
            false
        });
    }
    needles.insert("zzq-no-such-text".into());
    needles.insert("ab".into());
    let needles: Vec<String> = needles
        .into_iter()
        .filter(|n| !n.trim().is_empty() && !n.chars().any(char::is_control))
        .collect();
    assert!(needles.len() > 100, "{} needles", needles.len());
    let ids = |set: &agtrace::model::TraceSet, f: &agtrace::query::filter::Filter| {
        let mut v: Vec<String> = agtrace::analysis::list::TraceListQuery::new(f.clone())
            .run(set)
            .into_iter()
            .map(|t| set.traces[t as usize].id.to_string())
            .collect();
        v.sort();
        v
    };
    let prices = agtrace::semconv::PriceTable::bundled();
    let (mut narrowed, mut found, mut scanned) = (0, 0, 0);
    for (k, n) in needles.iter().enumerate() {
        let other = &needles[(k * 7 + 3) % needles.len()];
        let shout = if k % 2 == 0 {
            n.to_uppercase()
        } else {
            n.clone()
        };
        for expr in [
            format!("text:\"{shout}\""),
            format!("text:\"{n}\" text:\"{other}\""),
            format!("text:\"{n}\" | text:\"{other}\" kind:llm"),
        ] {
            let Ok(f) = agtrace::query::filter::Filter::parse(&expr) else {
                continue;
            };
            let want = ids(&direct, &f);
            match agtrace::store::text_candidates(&db, &f, &prices).expect("search") {
                Some(cands) => {
                    narrowed += 1;
                    found += usize::from(!want.is_empty());
                    assert_eq!(ids(&cands, &f), want, "{expr}");
                }
                // Needles without a word long enough to look up (`c-77`).
                None => scanned += 1,
            }
        }
    }
    assert!(
        narrowed > 200 && found > 100 && scanned * 4 < narrowed,
        "{narrowed} narrowed ({found} found), {scanned} left to a scan"
    );
}

#[test]
fn import_writes_piece_by_piece_and_traces_continue_across_pieces() {
    // Each trace's spans in two halves of the file, far apart, and written in small
    // batches: the second half merges with what the first wrote.
    let dir = tempfile::tempdir().expect("tempdir");
    let src = dir.path().join("split.jsonl");
    big_jsonl(&src, 300);
    let text = std::fs::read_to_string(&src).expect("read");
    let mut first = String::new();
    let mut second = String::new();
    for line in text.lines() {
        let mut v: serde_json::Value = serde_json::from_str(line).expect("line");
        let spans = v["resourceSpans"][0]["scopeSpans"][0]["spans"]
            .as_array()
            .cloned()
            .unwrap_or_default();
        let (a, b) = spans.split_at(spans.len() / 2);
        v["resourceSpans"][0]["scopeSpans"][0]["spans"] = serde_json::Value::Array(a.to_vec());
        first.push_str(&v.to_string());
        first.push('\n');
        v["resourceSpans"][0]["scopeSpans"][0]["spans"] = serde_json::Value::Array(b.to_vec());
        second.push_str(&v.to_string());
        second.push('\n');
    }
    // Over the size read whole, so the file is streamed.
    let pad = " ".repeat(9 << 20);
    std::fs::write(&src, format!("{first}{pad}\n{second}")).expect("write");
    let db = dir.path().join("s.db");
    let report = agtrace::store::import::import_in_pieces(
        &db,
        &[Input::Path(src.clone())],
        &LoadOptions::with_threads(2),
        400,
        |_, _| {},
    )
    .expect("import");
    // Each trace was written twice: once per half, the second time merged.
    assert!(report.batches >= 2 && report.traces == 600, "{report:?}");
    assert_eq!(report.spans_written, 3_000);
    let memory = load(&[Input::Path(src)], &LoadOptions::with_threads(2)).expect("load");
    let stored = load_store(&db);
    assert_eq!(stored.spans.len(), memory.spans.len());
    assert_eq!(stored.traces.len(), memory.traces.len());
    for t in &stored.traces {
        assert_eq!(
            t.span_count, 10,
            "a trace split across pieces is whole in the store"
        );
        assert_eq!(t.integrity.orphans, 0);
    }
}

#[test]
fn log_records_that_come_after_their_spans_were_stored_join_them() {
    let dir = tempfile::tempdir().expect("tempdir");
    let traces = serde_json::json!({"resourceSpans": [{"scopeSpans": [{"spans": [
        {"traceId": "4bf92f3577b34da6a3ce929d0e0e4736", "spanId": "a000000000000001", "name": "chat gpt-4o",
         "kind": 3, "startTimeUnixNano": "1763694720000000000", "endTimeUnixNano": "1763694721000000000",
         "attributes": [{"key": "gen_ai.operation.name", "value": {"stringValue": "chat"}},
                        {"key": "gen_ai.request.model", "value": {"stringValue": "gpt-4o"}}]}]}]}]});
    let logs = serde_json::json!({"resourceLogs": [{"scopeLogs": [{"logRecords": [
        {"traceId": "4bf92f3577b34da6a3ce929d0e0e4736", "spanId": "a000000000000001",
         "timeUnixNano": "1763694720100000000", "eventName": "gen_ai.user.message",
         "body": {"kvlistValue": {"values": [{"key": "content", "value": {"stringValue": "where is my refund?"}}]}}}]}]}]});
    let (tp, lp) = (
        dir.path().join("a-traces.json"),
        dir.path().join("b-logs.json"),
    );
    std::fs::write(&tp, traces.to_string()).expect("write");
    std::fs::write(&lp, logs.to_string()).expect("write");
    let db = dir.path().join("s.db");
    let opts = LoadOptions::with_threads(1);
    // Two imports: the spans first, the records later.
    import(&db, &[Input::Path(tp.clone())], &opts, |_, _| {}).expect("traces");
    let report = import(&db, &[Input::Path(lp.clone())], &opts, |_, _| {}).expect("logs");
    assert!(report.warnings.is_empty(), "{:?}", report.warnings);
    let set = load_store(&db);
    let conv = format!(
        "{:?}",
        agtrace::semconv::messages::conversation(&set, &set.spans[0])
    );
    assert!(conv.contains("where is my refund?"), "{conv}");
    // Importing the records again adds nothing twice.
    import(&db, &[Input::Path(lp)], &opts, |_, _| {}).expect("again");
    let set = load_store(&db);
    assert_eq!(set.span_events(&set.spans[0]).len(), 1);
}

/// An import into a store that fails SQLite's quick_check stops before writing (it
/// went ahead silently), says the store is damaged and how to recover what can be
/// read, and leaves the file as it was.
#[test]
fn an_import_into_a_damaged_store_stops_before_writing() {
    let dir = tempfile::tempdir().expect("tempdir");
    let db = dir.path().join("s.db");
    import_files(&db, &["agent-incident.otlp.json"]);
    // Garbage over the headers of b-tree pages past the schema's (16 KiB pages).
    let mut bytes = std::fs::read(&db).expect("read");
    assert!(bytes.len() > 6 * 16384, "{} bytes", bytes.len());
    for page in 3..6 {
        for b in &mut bytes[page * 16384..page * 16384 + 12] {
            *b = 0xa5;
        }
    }
    std::fs::write(&db, &bytes).expect("write");
    let r = agtrace::store::import(
        &db,
        &[agtrace::source::Input::Path(fixture("findings.otlp.json"))],
        &agtrace::source::LoadOptions::with_threads(1),
        |_, _| {},
    );
    let err = r
        .expect_err("a damaged store is not written into")
        .to_string();
    assert!(err.contains("damaged") && err.contains(".recover"), "{err}");
    assert_eq!(
        std::fs::read(&db).expect("read"),
        bytes,
        "the file is as it was"
    );
}
