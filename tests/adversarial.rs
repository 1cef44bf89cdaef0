//! Hostile and broken input, generated here: each case asserts its outcome (a clear
//! error, a warning, or a correct load) and, where the danger is memory, a bound on
//! it (the child runs under `ulimit -v`).

mod common;
use std::io::Write as _;
use std::process::{Command, Stdio};

fn bin() -> std::path::PathBuf {
    assert_cmd::cargo::cargo_bin("agtrace")
}

/// Runs agtrace with at most `mib` MiB of address space; (exit ok, stdout, stderr).
fn run_limited(mib: u64, args: &[&str]) -> (bool, String, String) {
    let script = format!("ulimit -v {}; exec \"$0\" \"$@\"", mib * 1024);
    let out = Command::new("sh")
        .arg("-c")
        .arg(script)
        .arg(bin())
        .args(args)
        .env_remove("AGTRACE_STATS")
        .output()
        .expect("run");
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn span(
    tid: &str,
    id: u64,
    parent: u64,
    name: &str,
    extra: serde_json::Value,
) -> serde_json::Value {
    let mut s = serde_json::json!({"traceId": tid, "spanId": format!("{id:016x}"),
        "parentSpanId": if parent == 0 { String::new() } else { format!("{parent:016x}") },
        "name": name, "startTimeUnixNano": (1000 + id).to_string(), "endTimeUnixNano": "1000000000"});
    if let (Some(o), Some(e)) = (s.as_object_mut(), extra.as_object()) {
        for (k, v) in e {
            o.insert(k.clone(), v.clone());
        }
    }
    s
}

fn doc(spans: Vec<serde_json::Value>) -> String {
    serde_json::json!({"resourceSpans": [{"scopeSpans": [{"spans": spans}]}]}).to_string()
}

fn write(dir: &tempfile::TempDir, name: &str, body: &[u8]) -> String {
    let p = dir.path().join(name);
    std::fs::write(&p, body).expect("write");
    p.to_str().expect("utf-8 path").to_owned()
}

/// A 100,000-deep parent chain: `show` prints it in memory linear in spans (it
/// needed more than 5.5 GB when every row built its whole indent).
#[test]
fn show_prints_a_100k_deep_chain_in_bounded_memory() {
    let tid = "ab".repeat(16);
    let spans: Vec<serde_json::Value> = (1..=100_000u64)
        .map(|i| span(&tid, i, i - 1, &format!("step {i}"), serde_json::json!({})))
        .collect();
    let dir = tempfile::tempdir().expect("tempdir");
    let f = write(&dir, "deep.json", doc(spans).as_bytes());
    let (ok, out, err) = run_limited(2048, &["show", &f]);
    assert!(ok, "{err}");
    assert_eq!(
        out.lines().filter(|l| l.contains(" [other] ")).count(),
        100_000,
        "every row printed"
    );
    assert!(out.contains("..99999 "), "deep rows show their depth");
    let widest = out.lines().map(str::len).max().unwrap_or(0);
    assert!(widest < 400, "rows stay narrow: {widest}");
}

/// `/dev/stdin` and a FIFO are read once, from the start (the SQLite sniff used to
/// open them first and eat their opening bytes).
#[test]
fn pipes_and_dev_stdin_are_read_from_the_start() {
    let fixture = std::fs::read(common::fixture("agent-incident.otlp.json")).expect("fixture");
    let mut child = Command::new(bin())
        .args(["ls", "/dev/stdin", "--json"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(&fixture)
        .expect("feed");
    let out = child.wait_with_output().expect("wait");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(String::from_utf8_lossy(&out.stdout).lines().count(), 4);
    // A named pipe whose writer sends a little at a time.
    let dir = tempfile::tempdir().expect("tempdir");
    let fifo = dir.path().join("pipe");
    if !Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .is_ok_and(|s| s.success())
    {
        common::skipped("mkfifo is not available");
        return;
    }
    let writer = {
        let fifo = fifo.clone();
        let data = fixture.clone();
        std::thread::spawn(move || {
            let mut f = std::fs::OpenOptions::new()
                .write(true)
                .open(fifo)
                .expect("open fifo");
            for chunk in data.chunks(97) {
                f.write_all(chunk).expect("write");
            }
        })
    };
    let out = Command::new(bin())
        .args(["ls", fifo.to_str().expect("path"), "--json"])
        .output()
        .expect("run");
    writer.join().expect("writer");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(String::from_utf8_lossy(&out.stdout).lines().count(), 4);
}

/// Zeros and bombs are refused early with the reason, in bounded memory.
#[test]
fn zeros_and_decompression_bombs_are_refused_early() {
    let (ok, _, err) = run_limited(1024, &["ls", "/dev/zero"]);
    assert!(!ok && err.contains("zero bytes"), "{err}");
    let dir = tempfile::tempdir().expect("tempdir");
    let zeros = zstd::encode_all(&vec![0u8; 200 << 20][..], 19).expect("zstd");
    let f = write(&dir, "zeros.zst", &zeros);
    let (ok, _, err) = run_limited(1024, &["ls", &f]);
    assert!(!ok && err.contains("zero bytes"), "{err}");
    // Valid-looking JSON that expands 1000-fold: past the ratio limit, named.
    let mut big = b"{\"resourceSpans\":[".to_vec();
    big.extend(std::iter::repeat_n(b' ', 300 << 20));
    big.extend_from_slice(b"]}");
    let gz = {
        let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
        e.write_all(&big).expect("gzip");
        e.finish().expect("gzip")
    };
    drop(big);
    let f = write(&dir, "bomb.json.gz", &gz);
    let (ok, _, err) = run_limited(1024, &["ls", &f]);
    assert!(!ok && err.contains("AGTRACE_MAX_RATIO"), "{err}");
}

/// One bad value no longer ends the document: a lone surrogate escape and a byte
/// that is not UTF-8 become U+FFFD with a warning, and every span loads.
#[test]
fn bad_text_values_cost_only_themselves() {
    let tid = "cd".repeat(16);
    let spans: Vec<serde_json::Value> = (1..=1000u64)
        .map(|i| span(&tid, i, 0, &format!("s{i}"), serde_json::json!({})))
        .collect();
    let text = doc(spans);
    let surrogate = text.replacen("\"s500\"", "\"s500 \\ud83d\"", 1);
    let mut raw = text.replacen("\"s50\"", "\"s50 X\"", 1).into_bytes();
    let at = raw
        .windows(6)
        .position(|w| w == b"s50 X\"")
        .expect("placed")
        + 4;
    raw[at] = 0xE9;
    let dir = tempfile::tempdir().expect("tempdir");
    for (name, body, what) in [
        ("surrogate.json", surrogate.into_bytes(), "lone surrogate"),
        ("latin1.json", raw, "not UTF-8"),
    ] {
        let f = write(&dir, name, &body);
        let out = Command::new(bin())
            .args(["ls", &f, "--json"])
            .output()
            .expect("run");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(out.status.success(), "{stderr}");
        let v: serde_json::Value =
            serde_json::from_slice(out.stdout.split(|&b| b == b'\n').next().expect("line"))
                .expect("json");
        assert_eq!(v["span_count"], 1000, "{name}: {stderr}");
        assert!(stderr.contains(what), "{name}: {stderr}");
    }
}

/// `--json` never carries a raw C1 control, DEL, bidi or invisible formatting
/// character: they are `\u` escapes.
#[test]
fn json_output_escapes_every_dangerous_character() {
    let tid = "ef".repeat(16);
    let name = "a\u{85}b\u{7f}c\u{9b}31m\u{202e}d\u{200b}e\u{feff}f\u{2028}g\u{e0041}h";
    let dir = tempfile::tempdir().expect("tempdir");
    let f = write(
        &dir,
        "c1.json",
        doc(vec![span(&tid, 1, 0, name, serde_json::json!({}))]).as_bytes(),
    );
    for args in [vec!["ls", &f, "--json"], vec!["show", &f, "--json"]] {
        let out = Command::new(bin()).args(&args).output().expect("run");
        assert!(out.status.success());
        let text = String::from_utf8(out.stdout).expect("utf-8");
        assert!(
            !text
                .chars()
                .any(|c| c != '\n' && agtrace::sanitize::is_dangerous(c)),
            "{args:?}: {text:?}"
        );
        assert!(
            text.contains("\\u0085") && text.contains("\\u007f") && text.contains("\\udb40\\udc41"),
            "{text}"
        );
        // Still the same text once parsed.
        let v: serde_json::Value =
            serde_json::from_str(text.lines().next().expect("line")).expect("json");
        let field = if args[0] == "ls" { "root_name" } else { "name" };
        assert_eq!(v[field], name);
    }
}

/// An unfinished copy of a span, then the finished ERROR copy: the finished copy's
/// end, status and attributes win, and attributes only the first copy had stay.
#[test]
fn duplicate_copies_keep_both_sets_of_attributes() {
    let tid = "12".repeat(16);
    let kv = |k: &str, v: &str| serde_json::json!({"key": k, "value": {"stringValue": v}});
    let first = serde_json::json!({"traceId": tid, "spanId": "00000000000000a1", "name": "execute_tool refund",
        "startTimeUnixNano": "1000", "endTimeUnixNano": "0",
        "attributes": [kv("gen_ai.operation.name", "execute_tool"), kv("gen_ai.tool.name", "refund"), kv("phase", "start")]});
    let second = serde_json::json!({"traceId": tid, "spanId": "00000000000000a1", "name": "execute_tool refund",
        "startTimeUnixNano": "1000", "endTimeUnixNano": "9000", "status": {"code": 2, "message": "declined"},
        "attributes": [kv("error.type", "PaymentDeclined"), kv("phase", "end")]});
    let dir = tempfile::tempdir().expect("tempdir");
    let f = write(&dir, "dup.json", doc(vec![first, second]).as_bytes());
    let out = Command::new(bin())
        .args(["show", &f, "--json"])
        .output()
        .expect("run");
    assert!(out.status.success());
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("one span");
    assert_eq!(v["tool_name"], "refund");
    assert_eq!(v["status"], "error");
    assert_eq!(v["attributes"]["error.type"], "PaymentDeclined");
    assert_eq!(v["attributes"]["gen_ai.tool.name"], "refund");
    assert_eq!(v["attributes"]["phase"], "end", "the finished copy wins");
    assert_eq!(v["end_unix_nano"], 9000);
}

/// A span whose parent id cannot be read is kept, as an orphan.
#[test]
fn a_malformed_parent_id_makes_an_orphan_not_a_gap() {
    let tid = "34".repeat(16);
    let mut child = span(&tid, 2, 0, "child", serde_json::json!({}));
    child["parentSpanId"] = "12".into();
    let dir = tempfile::tempdir().expect("tempdir");
    let f = write(
        &dir,
        "p.json",
        doc(vec![span(&tid, 1, 0, "root", serde_json::json!({})), child]).as_bytes(),
    );
    let set = common::load_ok(&[&f]);
    assert_eq!(set.spans.len(), 2);
    assert_eq!(set.traces[0].integrity.orphans, 1);
    assert!(
        set.warnings
            .iter()
            .any(|w| w.message.contains("kept as an orphan"))
    );
}

/// A protobuf dump with one large ResourceSpans, cut at 90%: the complete spans before
/// the cut are kept with their resource and scope (it loaded none), like JSON.
#[test]
fn a_cut_protobuf_keeps_the_complete_spans_of_its_last_resource_spans() {
    use opentelemetry_proto::tonic::common::v1::{
        AnyValue, InstrumentationScope, KeyValue, any_value,
    };
    use opentelemetry_proto::tonic::resource::v1::Resource;
    use opentelemetry_proto::tonic::trace::v1::{ResourceSpans, ScopeSpans, Span, TracesData};
    use prost::Message as _;
    let spans: Vec<Span> = (1..=10_000u64)
        .map(|i| Span {
            trace_id: vec![7; 16],
            span_id: i.to_be_bytes().to_vec(),
            name: format!("step {i}"),
            start_time_unix_nano: 1000 + i,
            end_time_unix_nano: 1_000_000,
            ..Default::default()
        })
        .collect();
    let data = TracesData {
        resource_spans: vec![ResourceSpans {
            resource: Some(Resource {
                attributes: vec![KeyValue {
                    key: "service.name".into(),
                    value: Some(AnyValue {
                        value: Some(any_value::Value::StringValue("checkout".into())),
                    }),
                    ..Default::default()
                }],
                ..Default::default()
            }),
            scope_spans: vec![ScopeSpans {
                scope: Some(InstrumentationScope {
                    name: "s".into(),
                    ..Default::default()
                }),
                spans,
                ..Default::default()
            }],
            ..Default::default()
        }],
    }
    .encode_to_vec();
    let cut = &data[..data.len() * 9 / 10];
    let d = agtrace::source::load_bytes(
        cut.to_vec(),
        "cut.pb",
        0,
        &agtrace::source::LoadOptions::with_threads(2),
    )
    .expect("a cut dump still opens");
    let set = agtrace::model::TraceSet::build(d.batches, vec!["cut.pb".into()], Vec::new());
    assert!(
        (8_900..10_000).contains(&set.spans.len()),
        "{} spans kept",
        set.spans.len()
    );
    assert_eq!(set.service_of(&set.spans[0]), "checkout");
    let w = set
        .warnings
        .iter()
        .find(|w| w.message.contains("inside a ResourceSpans"))
        .expect("a warning says where");
    assert!(
        matches!(w.position, agtrace::model::Position::Byte(_)),
        "{w}"
    );
}

/// An attribute nested past the parser's limit costs only itself: the value is cut
/// into a visible placeholder and every span loads (it dropped the rest of the
/// document), in JSON and in protobuf.
#[test]
fn deeply_nested_values_are_cut_not_fatal() {
    let mut value = serde_json::json!({"stringValue": "leaf"});
    for _ in 0..40 {
        value = serde_json::json!({"kvlistValue": {"values": [{"key": "k", "value": value}]}});
    }
    let tid = "56".repeat(16);
    let spans: Vec<serde_json::Value> = (1..=1000u64)
        .map(|i| {
            let attrs = if i == 500 {
                serde_json::json!([{"key": "deep", "value": value}])
            } else {
                serde_json::json!([])
            };
            span(
                &tid,
                i,
                0,
                &format!("s{i}"),
                serde_json::json!({"attributes": attrs}),
            )
        })
        .collect();
    let dir = tempfile::tempdir().expect("tempdir");
    let f = write(&dir, "deep-attr.json", doc(spans).as_bytes());
    let set = common::load_ok(&[&f]);
    assert_eq!(set.spans.len(), 1000);
    assert!(
        set.warnings
            .iter()
            .any(|w| w.message.contains("nested deeper")),
        "{:?}",
        set.warnings
    );
    let s = &set.spans[common::span_by_id(&set, &format!("{:016x}", 500))];
    let shown = set
        .span_attr(s, "deep")
        .expect("the attribute is kept")
        .to_json(&set.strings)
        .to_string();
    assert!(shown.contains("nested too deep"), "{shown}");

    // Protobuf: 80 levels of arrays in the only ResourceSpans.
    use opentelemetry_proto::tonic::common::v1::{AnyValue, ArrayValue, KeyValue, any_value};
    use opentelemetry_proto::tonic::trace::v1::{ResourceSpans, ScopeSpans, Span, TracesData};
    use prost::Message as _;
    let mut v = AnyValue {
        value: Some(any_value::Value::StringValue("leaf".into())),
    };
    for _ in 0..80 {
        v = AnyValue {
            value: Some(any_value::Value::ArrayValue(ArrayValue { values: vec![v] })),
        };
    }
    let data = TracesData {
        resource_spans: vec![ResourceSpans {
            scope_spans: vec![ScopeSpans {
                spans: vec![Span {
                    trace_id: vec![9; 16],
                    span_id: vec![1; 8],
                    name: "deep".into(),
                    attributes: vec![KeyValue {
                        key: "deep".into(),
                        value: Some(v),
                        ..Default::default()
                    }],
                    ..Default::default()
                }],
                ..Default::default()
            }],
            ..Default::default()
        }],
    };
    // prost refuses to encode past its own limit only on decode; encoding is fine.
    let bytes = data.encode_to_vec();
    let d = agtrace::source::load_bytes(
        bytes,
        "deep.pb",
        0,
        &agtrace::source::LoadOptions::with_threads(1),
    )
    .expect("loads");
    let set = agtrace::model::TraceSet::build(d.batches, vec!["deep.pb".into()], Vec::new());
    assert_eq!(set.spans.len(), 1);
    let shown = set
        .span_attr(&set.spans[0], "deep")
        .expect("kept")
        .to_json(&set.strings)
        .to_string();
    assert!(shown.contains("nested deeper than 64 levels"), "{shown}");
}

/// Wide, flat, attribute-heavy and huge-valued inputs load correctly within a memory
/// bound, and impossible timestamps do not stretch a trace over centuries.
#[test]
fn wide_fans_many_attributes_huge_values_and_impossible_times() {
    let dir = tempfile::tempdir().expect("tempdir");
    // 200,000 children of one root.
    let tid = "78".repeat(16);
    let mut spans = vec![span(&tid, 1, 0, "root", serde_json::json!({}))];
    spans.extend((2..=200_001u64).map(|i| span(&tid, i, 1, "leaf", serde_json::json!({}))));
    let fan = write(&dir, "fan.json", doc(spans).as_bytes());
    let (ok, out, err) = run_limited(2048, &["ls", &fan, "--json"]);
    assert!(ok, "{err}");
    let v: serde_json::Value =
        serde_json::from_str(out.lines().next().expect("row")).expect("json");
    assert_eq!(v["span_count"], 200_001);
    // One span with 200,000 attributes, and one with a 64 MiB value.
    let attrs: Vec<serde_json::Value> = (0..200_000)
        .map(|k| serde_json::json!({"key": format!("k{k}"), "value": {"intValue": k.to_string()}}))
        .collect();
    let huge = "x".repeat(64 << 20);
    let tid2 = "9a".repeat(16);
    let body = doc(vec![
        span(
            &tid2,
            1,
            0,
            "many attributes",
            serde_json::json!({"attributes": attrs}),
        ),
        span(
            &tid2,
            2,
            1,
            "huge value",
            serde_json::json!({"attributes": [{"key": "gen_ai.output.messages", "value": {"stringValue": huge}}]}),
        ),
    ]);
    drop(huge);
    let big = write(&dir, "big.json", body.as_bytes());
    drop(body);
    let (ok, out, err) = run_limited(2048, &["show", &big, "--json"]);
    assert!(ok, "{err}");
    assert_eq!(out.lines().count(), 2);
    // u64::MAX times.
    let tid3 = "bc".repeat(16);
    let max = u64::MAX.to_string();
    let t = write(
        &dir,
        "max.json",
        doc(vec![
            span(&tid3, 1, 0, "max", serde_json::json!({"startTimeUnixNano": max, "endTimeUnixNano": max})),
            span(&tid3, 2, 1, "real", serde_json::json!({"startTimeUnixNano": "1763694720000000000", "endTimeUnixNano": "1763694721000000000"})),
        ])
        .as_bytes(),
    );
    let set = common::load_ok(&[&t]);
    assert_eq!(set.traces[0].start, 1_763_694_720_000_000_000);
    assert!(
        set.traces[0].duration_ns() <= 1_000_000_000,
        "{}",
        set.traces[0].duration_ns()
    );
    assert!(
        set.warnings
            .iter()
            .any(|w| w.message.contains("after the year 2200"))
    );
}

/// `show --json` keeps both values of an attribute key a span repeats.
#[test]
fn repeated_attribute_keys_keep_every_value_in_json() {
    let tid = "de".repeat(16);
    let attrs = serde_json::json!([{"key": "k", "value": {"stringValue": "first"}},
                                   {"key": "k", "value": {"stringValue": "second"}}]);
    let dir = tempfile::tempdir().expect("tempdir");
    let f = write(
        &dir,
        "dupkey.json",
        doc(vec![span(
            &tid,
            1,
            0,
            "s",
            serde_json::json!({"attributes": attrs}),
        )])
        .as_bytes(),
    );
    let out = Command::new(bin())
        .args(["show", &f, "--json"])
        .output()
        .expect("run");
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    assert_eq!(v["attributes"]["k"], "first");
    assert_eq!(v["attributes"]["k#2"], "second");
}

/// The incident fixture imported into a fresh store (the folder lives as long as the
/// guard).
fn imported_store() -> (tempfile::TempDir, std::path::PathBuf) {
    let dir = tempfile::tempdir().expect("tempdir");
    let db = dir.path().join("s.db");
    let fixture = common::fixture("agent-incident.otlp.json");
    common::run_ok(&[
        "import",
        fixture.to_str().expect("path"),
        "--db",
        db.to_str().expect("path"),
    ]);
    (dir, db)
}

/// A traces row with a value of the wrong type (edited by hand, written by another
/// tool) is left out with a warning naming it; the rest of the store still lists.
#[test]
fn a_bad_row_does_not_make_a_store_unlistable() {
    let (_dir, db) = imported_store();
    let d = db.to_str().expect("path");
    {
        let c = rusqlite::Connection::open(&db).expect("open");
        c.execute(
            "UPDATE traces SET cost_usd = 'oops' WHERE trace_id LIKE '0af7%'",
            [],
        )
        .expect("update");
    }
    let out = Command::new(bin()).args(["ls", d]).output().expect("run");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert_eq!(String::from_utf8_lossy(&out.stdout).lines().count(), 1 + 3);
    assert!(
        stderr.contains("traces row") && stderr.contains("0af7651916cd43dd8448eb211c80319c"),
        "{stderr}"
    );
}

/// A store whose text is not UTF-8 any more says the store is damaged, not just
/// "invalid utf-8 sequence".
#[test]
fn a_store_with_broken_text_is_called_damaged() {
    let (_dir, db) = imported_store();
    let d = db.to_str().expect("path");
    {
        let c = rusqlite::Connection::open(&db).expect("open");
        c.execute("UPDATE spans SET name = CAST(x'ff' AS TEXT)", [])
            .expect("update");
    }
    let out = Command::new(bin())
        .args(["show", d, "0af7"])
        .output()
        .expect("run");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(stderr.contains("the store is damaged"), "{stderr}");
}

/// The explorer's Attributes tab of a span with 200,000 attributes is paged like the
/// tree: each page is bounded, says where it is, and scrolling past its end or top
/// turns the page (it built every line, 2.7 GB at 10M).
#[test]
fn the_attributes_tab_of_a_huge_span_is_paged() {
    use agtrace::analysis::detail::{
        ATTRIBUTES_PER_PAGE, SectionKind, attribute_pages, attributes_page,
    };
    use agtrace::tui::app::App;
    use agtrace::tui::keymap::Action;
    let attrs: Vec<serde_json::Value> = (0..200_000)
        .map(|k| serde_json::json!({"key": format!("k{k}"), "value": {"intValue": k.to_string()}}))
        .collect();
    let dir = tempfile::tempdir().expect("tempdir");
    let f = write(
        &dir,
        "wide.json",
        doc(vec![span(
            &"f0".repeat(16),
            1,
            0,
            "wide",
            serde_json::json!({"attributes": attrs}),
        )])
        .as_bytes(),
    );
    let set = common::load_ok(&[&f]);
    assert_eq!(attribute_pages(&set, 0), 200_000 / ATTRIBUTES_PER_PAGE);
    let mut app = App::with_set(set, "wide.json".into());
    app.update(Action::Enter);
    app.update(Action::SwitchPane);
    app.update(Action::Tab(4));
    let page = |app: &App| {
        let t = app.trace().expect("a trace is open");
        let span = t.selected_span().expect("a span is selected");
        let sec = attributes_page(app.tset(), span, t.attr_page());
        assert_eq!(sec.kind, SectionKind::Attributes);
        assert_eq!(sec.count, Some(200_000));
        assert!(
            sec.lines.len() <= ATTRIBUTES_PER_PAGE + 4,
            "{}",
            sec.lines.len()
        );
        sec.lines[0].text()
    };
    assert!(
        page(&app).starts_with("attributes 1–2000 of 200000 (page 1 of 100"),
        "{}",
        page(&app)
    );
    app.update(Action::PageDown);
    let scrolled = app.trace().expect("open").detail_scroll;
    assert!(scrolled > 0);
    // Past the end of the page: the next page, from its top.
    for _ in 0..(ATTRIBUTES_PER_PAGE + 10) {
        app.update(Action::Down);
        if app.trace().expect("open").detail_scroll == 0 {
            break;
        }
    }
    assert!(page(&app).starts_with("attributes 2001–4000 of 200000 (page 2"));
    // Above its top: back to the end of the first page.
    app.update(Action::Up);
    assert!(page(&app).starts_with("attributes 1–2000"));
    assert!(app.trace().expect("open").detail_scroll > 1000);
    app.update(Action::Bottom);
    let last = page(&app);
    assert!(
        last.starts_with("attributes 198001–200000 of 200000 (page 100 of 100"),
        "{last}"
    );
    app.update(Action::Top);
    assert!(page(&app).starts_with("attributes 1–2000"));
}

/// The same rules hold when a large file is decoded piece by piece (thresholds
/// lowered here): a lone surrogate, a byte that is not UTF-8 and a value nested too
/// deep each cost only themselves, in one document and in JSON Lines.
#[test]
fn bad_values_in_a_file_read_piece_by_piece_cost_only_themselves() {
    use agtrace::source::{Input, LoadOptions, load};
    let mut deep = serde_json::json!({"stringValue": "leaf"});
    for _ in 0..40 {
        deep = serde_json::json!({"kvlistValue": {"values": [{"key": "k", "value": deep}]}});
    }
    let resources: Vec<serde_json::Value> = (0..300u64)
        .map(|r| {
            let tid = format!("{:032x}", r + 1);
            let spans: Vec<serde_json::Value> = (1..=10u64)
                .map(|i| {
                    let attrs = if r == 200 && i == 3 {
                        serde_json::json!([{"key": "deep", "value": deep}])
                    } else {
                        serde_json::json!([{"key": "pad", "value": {"stringValue": "x".repeat(200)}}])
                    };
                    span(&tid, i, 0, &format!("r{r}s{i}"), serde_json::json!({"attributes": attrs}))
                })
                .collect();
            serde_json::json!({"scopeSpans": [{"spans": spans}]})
        })
        .collect();
    let spoil = |text: String| -> Vec<u8> {
        let mut raw = text
            .replacen("\"r50s5\"", "\"r50s5 \\ud83d\"", 1)
            .replacen("\"r120s2\"", "\"r120s2 X\"", 1)
            .into_bytes();
        let at = raw
            .windows(9)
            .position(|w| w == b"r120s2 X\"")
            .expect("placed")
            + 7;
        raw[at] = 0xE9;
        raw
    };
    let whole = spoil(serde_json::json!({ "resourceSpans": resources }).to_string());
    let lines = spoil(
        resources
            .iter()
            .map(|rs| serde_json::json!({ "resourceSpans": [rs] }).to_string() + "\n")
            .collect(),
    );
    let dir = tempfile::tempdir().expect("tempdir");
    let pieces = LoadOptions {
        stream_min_bytes: 1,
        piece_bytes: 64 << 10,
        ..LoadOptions::with_threads(2)
    };
    for (name, body) in [("doc.json", whole), ("lines.jsonl", lines)] {
        let f = write(&dir, name, &body);
        let set = load(&[Input::Path(f.into())], &pieces).expect("loads");
        let text: Vec<&str> = set.warnings.iter().map(|w| w.message.as_str()).collect();
        assert_eq!(set.spans.len(), 3000, "{name}: {text:?}");
        for what in ["lone surrogate", "not UTF-8", "nested deeper"] {
            assert!(
                text.iter().any(|t| t.contains(what)),
                "{name}: {what} in {text:?}"
            );
        }
    }
}
