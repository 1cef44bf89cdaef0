//! Live input: the OTLP/HTTP receiver checked against the specification's responses
//! with raw HTTP requests, the explorer growing in place, and real OpenTelemetry SDK
//! exporters (PyPI, installed by `.ci/run`) sending to `import --listen`.

mod common;
use agtrace::live::{ListenOptions, Received, Sink, listen};
use prost::Message as _;
use std::io::{Read, Write};
use std::sync::{Arc, Mutex};

/// One HTTP/1.1 request on its own connection: (status, headers, body).
fn post(
    addr: std::net::SocketAddr,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: &[u8],
) -> (u16, String, Vec<u8>) {
    let mut s = std::net::TcpStream::connect(addr).expect("connect");
    s.set_read_timeout(Some(std::time::Duration::from_secs(20)))
        .expect("timeout");
    let mut req = format!(
        "{method} {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\nContent-Length: {}\r\n",
        body.len()
    );
    for (k, v) in headers {
        req.push_str(&format!("{k}: {v}\r\n"));
    }
    req.push_str("\r\n");
    s.write_all(req.as_bytes()).expect("write");
    let _ = s.write_all(body);
    let mut raw = Vec::new();
    let _ = s.read_to_end(&mut raw);
    let split = raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .expect("a response head");
    let head = String::from_utf8_lossy(&raw[..split]).into_owned();
    let status: u16 = head
        .split_whitespace()
        .nth(1)
        .and_then(|c| c.parse().ok())
        .expect("status");
    (status, head.to_ascii_lowercase(), raw[split + 4..].to_vec())
}

fn collecting(accept: bool) -> (Sink, Arc<Mutex<Vec<Received>>>) {
    let got = Arc::new(Mutex::new(Vec::new()));
    let g = got.clone();
    let sink: Sink = Arc::new(move |r: Received| {
        if accept {
            g.lock().expect("lock").push(r);
        }
        accept
    });
    (sink, got)
}

fn loopback(max_body: usize, max_decoded: usize, token: Option<&str>) -> ListenOptions {
    let mut o = ListenOptions::new("127.0.0.1:0".parse().expect("addr"));
    o.max_body = max_body;
    o.max_decoded = max_decoded;
    o.token = token.map(str::to_owned);
    o
}

fn fixture_bytes(rel: &str) -> Vec<u8> {
    std::fs::read(common::fixture(rel)).expect("fixture")
}

/// The incident fixture as an ExportTraceServiceRequest, via agtrace's own export.
fn as_protobuf() -> Vec<u8> {
    let set = common::load_ok(&["agent-incident.otlp.json"]);
    let traces: Vec<u32> = (0..set.traces.len() as u32).collect();
    let spans = agtrace::export::select(&set, &traces, None);
    let mut out = Vec::new();
    agtrace::export::write(
        &mut out,
        &set,
        &spans,
        agtrace::export::ExportFormat::OtlpProto,
        None,
        &mut |_| {},
    )
    .expect("encode");
    out
}

#[test]
fn the_receiver_answers_as_the_otlp_http_specification_says() {
    use opentelemetry_proto::tonic::collector::trace::v1::{
        ExportTraceServiceRequest, ExportTraceServiceResponse,
    };
    let (sink, got) = collecting(true);
    let r = listen(loopback(2 << 20, 4 << 20, None), sink).expect("listen");
    let json = fixture_bytes("agent-incident.otlp.json");
    let ct_json = ("Content-Type", "application/json");
    let ct_proto = ("Content-Type", "application/x-protobuf");

    // JSON: 200, `{}` when nothing was dropped, the spans handed on.
    let (code, head, body) = post(r.addr, "POST", "/v1/traces", &[ct_json], &json);
    assert_eq!(code, 200);
    assert!(head.contains("content-type: application/json"));
    assert_eq!(body, b"{}");
    assert_eq!(
        got.lock().expect("lock").last().expect("received").spans,
        16
    );

    // Protobuf, decoded by the reference types on the way in and out.
    let proto = as_protobuf();
    let req = ExportTraceServiceRequest::decode(proto.as_slice()).expect("a request");
    assert_eq!(
        req.resource_spans
            .iter()
            .flat_map(|r| &r.scope_spans)
            .map(|s| s.spans.len())
            .sum::<usize>(),
        16
    );
    let (code, head, body) = post(r.addr, "POST", "/v1/traces", &[ct_proto], &proto);
    assert_eq!(code, 200);
    assert!(head.contains("content-type: application/x-protobuf"));
    let resp = ExportTraceServiceResponse::decode(body.as_slice()).expect("a response");
    assert!(resp.partial_success.is_none());

    // gzip.
    let gz = {
        let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        e.write_all(&json).expect("gzip");
        e.finish().expect("gzip")
    };
    let (code, _, _) = post(
        r.addr,
        "POST",
        "/v1/traces",
        &[ct_json, ("Content-Encoding", "gzip")],
        &gz,
    );
    assert_eq!(code, 200);

    // Log records that name spans: counted, kept as the spans' events.
    let logs = br#"{"resourceLogs":[{"scopeLogs":[{"logRecords":[{"timeUnixNano":"1","traceId":"0af7651916cd43dd8448eb211c80319c","spanId":"b000000000000002","eventName":"gen_ai.user.message","body":{"stringValue":"hi"}}]}]}]}"#;
    let (code, _, _) = post(r.addr, "POST", "/v1/logs", &[ct_json], logs);
    assert_eq!(code, 200);
    assert_eq!(
        got.lock()
            .expect("lock")
            .last()
            .expect("received")
            .log_records,
        1
    );

    // A partial success: spans with unreadable ids are dropped and said so.
    let bad_id = br#"{"resourceSpans":[{"scopeSpans":[{"spans":[{"traceId":"zz","spanId":"01","name":"x"},{"traceId":"0af7651916cd43dd8448eb211c80319d","spanId":"0000000000000001","name":"ok","startTimeUnixNano":"1","endTimeUnixNano":"2"}]}]}]}"#;
    let (code, _, body) = post(r.addr, "POST", "/v1/traces", &[ct_json], bad_id);
    assert_eq!(code, 200);
    let v: serde_json::Value = serde_json::from_slice(&body).expect("json");
    assert!(
        v["partialSuccess"]["errorMessage"]
            .as_str()
            .is_some_and(|m| !m.is_empty()),
        "{v}"
    );

    // Errors, each with a google.rpc.Status body.
    let status =
        |body: &[u8]| -> serde_json::Value { serde_json::from_slice(body).expect("a Status") };
    let (code, _, body) = post(r.addr, "POST", "/v1/traces", &[ct_json], b"{not json");
    assert_eq!(code, 400);
    assert!(
        status(&body)["message"]
            .as_str()
            .expect("message")
            .contains("not JSON")
    );
    let (code, _, body) = post(
        r.addr,
        "POST",
        "/v1/traces",
        &[ct_proto],
        b"\xff\xff\xff\xff garbage",
    );
    assert_eq!(code, 400);
    assert!(!body.is_empty());
    let (code, _, body) = post(
        r.addr,
        "POST",
        "/v1/traces",
        &[("Content-Type", "text/plain")],
        b"hi",
    );
    assert_eq!(code, 415);
    assert!(
        status(&body)["message"]
            .as_str()
            .expect("message")
            .contains("application/x-protobuf")
    );
    let (code, _, _) = post(
        r.addr,
        "POST",
        "/v1/traces",
        &[ct_json, ("Content-Encoding", "br")],
        &json,
    );
    assert_eq!(code, 415);
    let (code, head, _) = post(r.addr, "GET", "/v1/traces", &[], b"");
    assert_eq!(code, 405);
    assert!(head.contains("allow: post"));
    let (code, _, _) = post(r.addr, "POST", "/v1/metrics", &[ct_json], b"{}");
    assert_eq!(code, 404);
    // Over the body limit; a gzip bomb over the decompressed limit.
    let (code, _, _) = post(
        r.addr,
        "POST",
        "/v1/traces",
        &[ct_json],
        &vec![b' '; 3 << 20],
    );
    assert_eq!(code, 413);
    let bomb = {
        let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
        e.write_all(&vec![b' '; 64 << 20]).expect("gzip");
        e.finish().expect("gzip")
    };
    assert!(bomb.len() < 2 << 20);
    let (code, _, body) = post(
        r.addr,
        "POST",
        "/v1/traces",
        &[ct_json, ("Content-Encoding", "gzip")],
        &bomb,
    );
    assert_eq!(code, 413);
    assert!(
        status(&body)["message"]
            .as_str()
            .expect("message")
            .contains("decompresses")
    );
    assert!(r.stats.refused.load(std::sync::atomic::Ordering::Relaxed) >= 8);
}

#[test]
fn a_token_is_required_when_set_and_backpressure_asks_to_retry() {
    let (sink, _) = collecting(true);
    let r = listen(loopback(1 << 20, 1 << 20, Some("s3cret")), sink).expect("listen");
    let ct = ("Content-Type", "application/json");
    assert_eq!(post(r.addr, "POST", "/v1/traces", &[ct], b"{}").0, 401);
    assert_eq!(
        post(
            r.addr,
            "POST",
            "/v1/traces",
            &[ct, ("Authorization", "Bearer nope")],
            b"{}"
        )
        .0,
        401
    );
    assert_eq!(
        post(
            r.addr,
            "POST",
            "/v1/traces",
            &[ct, ("Authorization", "Bearer s3cret")],
            b"{}"
        )
        .0,
        200
    );
    // A sink that is behind: 503 with Retry-After, which exporters honour.
    let (busy, _) = collecting(false);
    let r = listen(loopback(1 << 20, 1 << 20, None), busy).expect("listen");
    let (code, head, _) = post(
        r.addr,
        "POST",
        "/v1/traces",
        &[ct],
        &fixture_bytes("agent-incident.otlp.json"),
    );
    assert_eq!(code, 503);
    assert!(head.contains("retry-after: 1"), "{head}");
}

/// Splits the incident fixture: every span but the failing tool call and its HTTP
/// child first, those two later.
fn halves() -> (Vec<u8>, Vec<u8>) {
    let v: serde_json::Value =
        serde_json::from_slice(&fixture_bytes("agent-incident.otlp.json")).expect("json");
    let late = ["b000000000000003", "b000000000000004"];
    let mut first = v.clone();
    let mut second = v;
    for (doc, keep_late) in [(&mut first, false), (&mut second, true)] {
        for rs in doc["resourceSpans"].as_array_mut().expect("rs") {
            for ss in rs["scopeSpans"].as_array_mut().expect("ss") {
                let spans = ss["spans"].as_array_mut().expect("spans");
                spans.retain(|s| late.contains(&s["spanId"].as_str().unwrap_or("")) == keep_late);
            }
        }
    }
    (
        first.to_string().into_bytes(),
        second.to_string().into_bytes(),
    )
}

/// An explorer with an empty set and live state keeping at most `max_spans`.
fn live_app(max_spans: usize) -> agtrace::tui::app::App {
    let mut app =
        agtrace::tui::app::App::with_set(agtrace::model::TraceSet::default(), "live".into());
    app.go_live(agtrace::tui::live::LiveState::start(
        max_spans,
        Arc::new(agtrace::semconv::PriceTable::bundled()),
        Arc::new(|| {}),
    ));
    app
}

#[test]
fn the_explorer_grows_in_place_keeping_its_selection() {
    use agtrace::tui::keymap::Action;
    let decode = |mut b: Vec<u8>| -> Received {
        let d = agtrace::decode::otlp_json::decode(&mut b, 0, "t", 1).expect("decodes");
        let batch = d.batches.into_iter().next().expect("a batch");
        Received {
            spans: batch.spans.len(),
            batch,
            log_records: 0,
            bytes: 0,
        }
    };
    let (first, second) = halves();
    let mut app = live_app(1_000_000);
    app.live_received(decode(first));
    app.live_merge();
    assert_eq!(app.shared.set.traces.len(), 4);
    // Open the failed trace on its agent, away from the top of the list.
    let failed = app.shared.set.find_traces("0af7")[0];
    app.open_trace(failed);
    let root = app.selected_span().expect("a span");
    app.update(Action::Tab(3));
    let before = app.trace().expect("open").rows.len();
    // The rest arrives: the tool call and its HTTP child join the open trace.
    app.live_received(decode(second));
    app.live_merge();
    let t = app.trace().expect("still open");
    assert!(
        t.rows.len() > before,
        "{} rows, were {before}",
        t.rows.len()
    );
    assert_eq!(app.shared.set.traces.len(), 4);
    assert_eq!(app.shared.set.spans.len(), 16);
    assert_eq!(
        app.shared.set.integrity.orphans, 0,
        "late spans fixed up the tree"
    );
    assert_eq!(
        t.tab,
        agtrace::analysis::detail::SectionKind::Tool,
        "tab kept"
    );
    let _ = root;
    // The failure origin is now the HTTP call that the late spans brought.
    let o = &t.outline.origins;
    assert_eq!(
        app.shared.set.spans[o[0].span as usize].span_id.to_string(),
        "b000000000000004"
    );
    // Paused: arrivals wait.
    app.update(Action::Pause);
    assert!(app.live.as_ref().expect("live").paused);
}

fn python(module: &str) -> Option<std::path::PathBuf> {
    let p = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("target/pyvenv/bin/python");
    let ok = p.exists()
        && std::process::Command::new(&p)
            .args(["-c", &format!("import {module}")])
            .status()
            .is_ok_and(|s| s.success());
    ok.then_some(p)
}

fn free_port() -> u16 {
    let l = std::net::TcpListener::bind("127.0.0.1:0").expect("a free port");
    l.local_addr().expect("addr").port()
}

/// Starts `import --listen` into `db` on free ports and waits until it accepts on
/// HTTP; the child (stderr piped) and its HTTP and gRPC ports.
fn start_listen(db: &std::path::Path) -> (std::process::Child, u16, u16) {
    let (http, grpc) = (free_port(), free_port());
    let child = std::process::Command::new(env!("CARGO_BIN_EXE_agtrace"))
        .args([
            "import",
            "--listen",
            &format!("127.0.0.1:{http}"),
            "--grpc-listen",
            &format!("127.0.0.1:{grpc}"),
            "--db",
            db.to_str().expect("path"),
        ])
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("import --listen");
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    for port in [http, grpc] {
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(
                std::time::Instant::now() < deadline,
                "the receiver did not start"
            );
            std::thread::sleep(std::time::Duration::from_millis(50));
        }
    }
    (child, http, grpc)
}

/// Stops a receiver gracefully (SIGTERM flushes the last batch and reports); whether
/// it exited well, and what it said.
fn stop_listen(mut child: std::process::Child) -> (bool, String) {
    std::thread::sleep(std::time::Duration::from_millis(300));
    let _ = std::process::Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status();
    let status = child.wait().expect("wait");
    let mut err = String::new();
    child
        .stderr
        .take()
        .expect("stderr")
        .read_to_string(&mut err)
        .expect("read");
    (status.success(), err)
}

/// Runs `import --listen` on free ports, has the SDK client send one agent run over
/// `protocol` (http or grpc), stops the receiver with SIGTERM, and checks the store.
fn sdk_into_import_listen(py: &std::path::Path, protocol: &str) {
    let dir = tempfile::tempdir().expect("tempdir");
    let db = dir.path().join("live.db");
    let bin = env!("CARGO_BIN_EXE_agtrace");
    let (server, http, grpc) = start_listen(&db);
    let port = if protocol == "grpc" { grpc } else { http };
    let out = std::process::Command::new(py)
        .arg(common::fixture("../tests/otel_sdk_client.py"))
        .arg(protocol)
        .arg(format!("http://127.0.0.1:{port}"))
        .output()
        .expect("run the SDK client");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // Graceful stop: SIGTERM flushes the last batch and reports.
    let (ok, err) = stop_listen(server);
    assert!(ok, "{err}");
    assert!(err.contains("stopped:") && err.contains("3 spans"), "{err}");
    // gRPC requests are counted as HTTP ones are (the stop line said 0 for gRPC).
    assert!(!err.contains("stopped: 0 requests"), "{protocol}: {err}");
    let ls = std::process::Command::new(bin)
        .args(["ls", db.to_str().expect("path"), "--json"])
        .output()
        .expect("ls");
    let rows: Vec<serde_json::Value> = String::from_utf8_lossy(&ls.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).expect("json"))
        .collect();
    assert_eq!(rows.len(), 1, "{rows:?}");
    let t = &rows[0];
    assert_eq!(t["span_count"], 3, "{protocol}");
    assert_eq!(t["service"], "sdk-agent");
    assert_eq!(t["session_id"], "conv-sdk-1");
    assert_eq!(t["llm_calls"], 1);
    assert_eq!(t["tool_calls"], 1);
    assert_eq!(t["status"], "error");
}

#[test]
fn the_opentelemetry_sdk_exports_over_http_into_import_listen() {
    let Some(py) = python("opentelemetry.exporter.otlp.proto.http") else {
        common::skipped(
            "the OpenTelemetry SDK and OTLP/HTTP exporter are not installed in target/pyvenv (.ci/run installs them)",
        );
        return;
    };
    sdk_into_import_listen(&py, "http");
}

#[test]
fn the_opentelemetry_sdk_exports_over_grpc_into_import_listen() {
    let Some(py) = python("opentelemetry.exporter.otlp.proto.grpc") else {
        common::skipped(
            "the OpenTelemetry SDK's OTLP/gRPC exporter is not installed in target/pyvenv (.ci/run installs it)",
        );
        return;
    };
    sdk_into_import_listen(&py, "grpc");
}

#[test]
fn past_the_span_cap_the_oldest_traces_are_evicted_whole_and_counted() {
    let mut b = fixture_bytes("agent-incident.otlp.json");
    let d = agtrace::decode::otlp_json::decode(&mut b, 0, "t", 1).expect("decodes");
    let batch = d.batches.into_iter().next().expect("a batch");
    let mut app = live_app(10);
    app.live_received(Received {
        spans: batch.spans.len(),
        batch,
        log_records: 0,
        bytes: 0,
    });
    app.live_merge();
    let set = &app.shared.set;
    assert!(set.spans.len() <= 10, "{} spans kept", set.spans.len());
    // The newest traces stay, whole.
    let mut names: Vec<&str> = set.traces.iter().map(|t| set.str(t.root_name)).collect();
    names.sort();
    assert_eq!(names, ["RAGChain", "invoke_agent research"]);
    for t in &set.traces {
        assert_eq!(t.span_count as usize, set.trace_spans(t).len());
    }
    assert_eq!(app.live.as_ref().expect("live").evicted_traces, 2);
    let mut term =
        ratatui::Terminal::new(ratatui::backend::TestBackend::new(160, 10)).expect("terminal");
    let theme = agtrace::tui::theme::Theme::plain();
    term.draw(|f| agtrace::tui::view::render(&mut app, f, &theme))
        .expect("draw");
    assert!(term.backend().to_string().contains("2 evicted"));
}

/// One request of one span: trace `t`, span `k` (span 1 is the root).
fn one_span(t: u32, k: u32) -> Received {
    let parent = if k == 1 {
        String::new()
    } else {
        format!("{:016x}", 1)
    };
    let mut body = format!(
        r#"{{"resourceSpans":[{{"scopeSpans":[{{"spans":[{{"traceId":"{t:032x}","spanId":"{k:016x}","parentSpanId":"{parent}","name":"s{k}","startTimeUnixNano":"{}","endTimeUnixNano":"{}"}}]}}]}}]}}"#,
        1_000_000 * u64::from(t) + u64::from(k),
        1_000_000 * u64::from(t) + u64::from(k) + 10
    )
    .into_bytes();
    let d = agtrace::decode::otlp_json::decode(&mut body, 0, "t", 1).expect("decodes");
    let batch = d.batches.into_iter().next().expect("a batch");
    Received {
        spans: batch.spans.len(),
        batch,
        log_records: 0,
        bytes: 0,
    }
}

#[test]
fn many_merges_keep_every_span_the_open_trace_and_the_counts() {
    use agtrace::tui::keymap::Action;
    let mut app = live_app(1_000_000);
    // Trace 1 is opened early and grows a span per round while new traces arrive;
    // the worker grows the set the UI gave back by the generation in between.
    app.live_received(one_span(1, 1));
    app.live_merge();
    app.open_trace(0);
    for round in 2..=30u32 {
        app.live_received(one_span(1, round));
        app.live_received(one_span(100 + round, 1));
        if round % 3 == 0 {
            // Sometimes only the clock: merges may come in twos.
            std::thread::sleep(std::time::Duration::from_millis(450));
            app.live_tick();
        } else {
            app.live_merge();
        }
        if round == 10 {
            app.update(Action::Pause);
            app.live_received(one_span(999, 1));
            std::thread::sleep(std::time::Duration::from_millis(500));
            app.live_tick();
            assert!(
                app.shared
                    .set
                    .find_traces(&format!("{:032x}", 999))
                    .is_empty(),
                "paused: nothing new on screen"
            );
            app.update(Action::Pause);
        }
        if round == 20 {
            app.update(Action::Privacy);
        }
    }
    app.live_merge();
    let set = &app.shared.set;
    assert_eq!(set.traces.len(), 1 + 29 + 1, "every trace, once");
    assert_eq!(set.spans.len(), 30 + 29 + 1, "every span, once");
    assert_eq!(
        set.integrity.duplicates, 0,
        "replayed batches are not duplicates"
    );
    let open = app.trace().expect("the trace stays open");
    assert_eq!(
        app.shared.set.traces[open.summary as usize].span_count, 30,
        "the open trace grew in place"
    );
    assert_eq!(app.live.as_ref().expect("live").evicted_traces, 0);
    assert!(app.shared.privacy.is_some(), "privacy mode survives merges");
}

#[test]
fn evictions_are_counted_once_across_generations() {
    let mut app = live_app(20);
    for t in 1..=40u32 {
        app.live_received(one_span(t, 1));
        app.live_received(one_span(t, 2));
        app.live_merge();
    }
    let set = &app.shared.set;
    assert!(set.spans.len() <= 20);
    let kept = set.traces.len() as u64;
    let evicted = app.live.as_ref().expect("live").evicted_traces;
    assert_eq!(kept + evicted, 40, "kept {kept}, evicted {evicted}");
}

/// curl's `--write-out` status code for one request to the receiver.
fn curl(args: &[&str]) -> String {
    let out = std::process::Command::new("curl")
        .args([
            "-s",
            "-o",
            "/dev/null",
            "-w",
            "%{http_code}",
            "--max-time",
            "20",
        ])
        .args(args)
        .output()
        .expect("run curl");
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[test]
fn curl_gets_the_specified_answers() {
    if std::process::Command::new("curl")
        .arg("--version")
        .output()
        .is_err()
    {
        common::skipped(
            "curl is not installed; the receiver's curl checks did not run (.ci/run installs it)",
        );
        return;
    }
    let (sink, got) = collecting(true);
    let r = listen(loopback(2 << 20, 4 << 20, Some("s3cret")), sink).expect("listen");
    let url = format!("http://{}/v1/traces", r.addr);
    let dir = tempfile::tempdir().expect("tempdir");
    let json = dir.path().join("t.json");
    std::fs::write(&json, fixture_bytes("agent-incident.otlp.json")).expect("write");
    let gz = dir.path().join("t.json.gz");
    {
        let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        e.write_all(&fixture_bytes("agent-incident.otlp.json"))
            .expect("gzip");
        std::fs::write(&gz, e.finish().expect("gzip")).expect("write");
    }
    let auth = "Authorization: Bearer s3cret";
    let body = format!("@{}", json.display());
    let gz_body = format!("@{}", gz.display());
    let ct = "Content-Type: application/json";
    assert_eq!(
        curl(&["-H", ct, "--data-binary", &body, &url]),
        "401",
        "no token"
    );
    assert_eq!(
        curl(&["-H", auth, "-H", ct, "--data-binary", &body, &url]),
        "200"
    );
    assert_eq!(
        curl(&[
            "-H",
            auth,
            "-H",
            ct,
            "-H",
            "Content-Encoding: gzip",
            "--data-binary",
            &gz_body,
            &url
        ]),
        "200",
        "gzip"
    );
    assert_eq!(
        curl(&[
            "-H",
            auth,
            "-H",
            "Content-Type: text/plain",
            "--data-binary",
            &body,
            &url
        ]),
        "415"
    );
    assert_eq!(
        curl(&[
            "-H",
            auth,
            "-H",
            ct,
            "--data-binary",
            "{\"resourceSpans\": [",
            &url
        ]),
        "400"
    );
    assert_eq!(curl(&["-H", auth, &url]), "405", "GET");
    assert_eq!(
        curl(&[
            "-H",
            auth,
            "-H",
            ct,
            "--data-binary",
            &body,
            &format!("http://{}/v1/metrics", r.addr)
        ]),
        "404"
    );
    let big = dir.path().join("big.json");
    std::fs::write(&big, vec![b' '; 3 << 20]).expect("write");
    assert_eq!(
        curl(&[
            "-H",
            auth,
            "-H",
            ct,
            "--data-binary",
            &format!("@{}", big.display()),
            &url
        ]),
        "413"
    );
    assert_eq!(
        got.lock().expect("lock").len(),
        2,
        "the two good requests were taken"
    );
}

#[test]
fn a_merge_that_lands_between_two_arrivals_does_not_stall_the_next() {
    // The worker merges the first span on its own (nothing merged for a while), the
    // second comes after: the explorer must give the replaced set back for the worker
    // to grow the next one from, or the second merge waits for ever.
    let mut app = live_app(1_000_000);
    for round in 0..5u32 {
        app.live_received(one_span(500 + round, 1));
        std::thread::sleep(std::time::Duration::from_millis(450));
        app.live_received(one_span(600 + round, 1));
        let started = std::time::Instant::now();
        app.live_merge();
        assert!(
            started.elapsed() < std::time::Duration::from_secs(30),
            "the merge stalled"
        );
        assert_eq!(app.shared.set.traces.len() as u32, 2 * (round + 1));
    }
}

/// Log records whose spans never arrive are said at the stop, as `import FILE` says
/// them, not dropped in silence.
#[test]
fn log_records_whose_spans_never_came_are_said_at_the_stop() {
    let dir = tempfile::tempdir().expect("tempdir");
    let db = dir.path().join("live.db");
    let (server, http, _) = start_listen(&db);
    let logs = serde_json::json!({"resourceLogs": [{"resource": {}, "scopeLogs": [{"scope": {}, "logRecords": [
        {"timeUnixNano": "1763694720000000000", "traceId": "5b8efff798038103d269b633813fc60c",
         "spanId": "eee19b7ec3c1b174", "eventName": "gen_ai.choice",
         "body": {"kvlistValue": {"values": [{"key": "index", "value": {"intValue": "0"}}]}}}
    ]}]}]});
    let path = dir.path().join("logs.json");
    std::fs::write(&path, logs.to_string()).expect("write");
    let code = curl(&[
        "-H",
        "Content-Type: application/json",
        "--data-binary",
        &format!("@{}", path.display()),
        &format!("http://127.0.0.1:{http}/v1/logs"),
    ]);
    assert_eq!(code, "200");
    let (ok, err) = stop_listen(server);
    assert!(ok, "{err}");
    assert!(
        err.contains("1 log records name spans that never arrived"),
        "{err}"
    );
}

/// OTLP/JSON with `n` spans in one trace.
fn spans_json(n: usize) -> Vec<u8> {
    let spans: Vec<serde_json::Value> = (0..n)
        .map(|k| {
            serde_json::json!({"traceId": "0af7651916cd43dd8448eb211c80319c",
                "spanId": format!("{:016x}", k + 1), "name": "s", "kind": 1,
                "startTimeUnixNano": "1763000000000000000", "endTimeUnixNano": "1763000001000000000"})
        })
        .collect();
    serde_json::json!({"resourceSpans": [{"resource": {}, "scopeSpans": [{"scope": {}, "spans": spans}]}]})
        .to_string()
        .into_bytes()
}

/// Writes a request head (and `body_part` of its body) and returns the open stream.
fn start_request(
    addr: std::net::SocketAddr,
    length: usize,
    body_part: &[u8],
) -> std::net::TcpStream {
    let mut s = std::net::TcpStream::connect(addr).expect("connect");
    s.set_read_timeout(Some(std::time::Duration::from_secs(20)))
        .expect("timeout");
    let head = format!(
        "POST /v1/traces HTTP/1.1\r\nHost: {addr}\r\nAuthorization: Bearer s3cr3t\r\nContent-Type: application/json\r\nContent-Length: {length}\r\n\r\n"
    );
    s.write_all(head.as_bytes()).expect("write");
    s.write_all(body_part).expect("write");
    s
}

fn status_of(s: &mut std::net::TcpStream) -> Option<u16> {
    let mut raw = Vec::new();
    let mut buf = [0u8; 4096];
    while let Ok(n) = s.read(&mut buf) {
        if n == 0 {
            break;
        }
        raw.extend_from_slice(&buf[..n]);
        if raw.windows(4).any(|w| w == b"\r\n\r\n") {
            break;
        }
    }
    String::from_utf8_lossy(&raw)
        .split_whitespace()
        .nth(1)?
        .parse()
        .ok()
}

/// The receiver's bounds (issue 29): idle and slow connections are closed, slow
/// bodies get 408, past the connection cap a connection gets 503, bodies being read
/// at once are bounded in bytes (503 with Retry-After beyond), a request that could
/// never fit gets 413 (not 503 forever), and the bearer scheme is case-insensitive.
#[test]
fn the_receiver_bounds_connections_bodies_and_idle_time() {
    use std::time::Duration;
    let (sink, got) = collecting(true);
    let mut opts = loopback(1 << 20, 4 << 20, Some("s3cr3t"));
    opts.max_connections = 4;
    opts.header_timeout = Duration::from_millis(800);
    opts.body_timeout = Duration::from_millis(800);
    opts.max_inflight = 2 << 20;
    opts.max_request_items = 5;
    let r = listen(opts, sink).expect("listen");
    let auth = [
        ("Content-Type", "application/json"),
        ("authorization", "bearer s3cr3t"),
    ];
    // Lower-case scheme accepted; a request of 6 spans is over the 5 it may hold.
    let (code, _, _) = post(r.addr, "POST", "/v1/traces", &auth, &spans_json(3));
    assert_eq!(code, 200, "bearer in lower case");
    let (code, _, body) = post(r.addr, "POST", "/v1/traces", &auth, &spans_json(6));
    assert_eq!(code, 413, "{}", String::from_utf8_lossy(&body));
    assert_eq!(got.lock().expect("lock").len(), 1);
    // An idle connection is closed after the header timeout.
    let mut idle = std::net::TcpStream::connect(r.addr).expect("connect");
    idle.set_read_timeout(Some(Duration::from_secs(10)))
        .expect("timeout");
    let started = std::time::Instant::now();
    let mut buf = [0u8; 256];
    let _ = idle.read(&mut buf);
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "an idle connection was kept {:?}",
        started.elapsed()
    );
    // A body that stops coming: 408.
    let mut slow = start_request(r.addr, 1000, b"{\"resourceSpans\"");
    assert_eq!(status_of(&mut slow), Some(408));
    // Two bodies of 1 MiB announced and not sent hold the 2 MiB budget: a third
    // request is told to retry at once, before its body is read.
    let held: Vec<_> = (0..2)
        .map(|_| start_request(r.addr, 1 << 20, b""))
        .collect();
    std::thread::sleep(Duration::from_millis(100));
    let mut third = start_request(r.addr, 100, b"");
    assert_eq!(
        status_of(&mut third),
        Some(503),
        "over the in-flight budget"
    );
    drop((held, third, slow, idle));
    // Their connections end (closed here, or by the body timeout there).
    std::thread::sleep(Duration::from_millis(1200));
    // Four connections open: a fifth is answered 503 and closed.
    let open: Vec<_> = (0..4)
        .map(|_| std::net::TcpStream::connect(r.addr).expect("connect"))
        .collect();
    std::thread::sleep(Duration::from_millis(100));
    let mut fifth = std::net::TcpStream::connect(r.addr).expect("connect");
    fifth
        .set_read_timeout(Some(Duration::from_secs(5)))
        .expect("timeout");
    assert_eq!(status_of(&mut fifth), Some(503), "past the connection cap");
    drop(open);
}

#[test]
fn listen_addresses_read_as_people_write_them() {
    use agtrace::live::parse_addr;
    assert_eq!(
        parse_addr("::1").expect("v6"),
        "[::1]:4318".parse().expect("addr")
    );
    assert_eq!(
        parse_addr("[::1]:9000").expect("v6 port"),
        "[::1]:9000".parse().expect("addr")
    );
    assert_eq!(
        parse_addr(":4400").expect("port"),
        "127.0.0.1:4400".parse().expect("addr")
    );
    assert_eq!(
        parse_addr("4400").expect("port"),
        "127.0.0.1:4400".parse().expect("addr")
    );
    assert_eq!(
        parse_addr("127.0.0.1").expect("v4"),
        "127.0.0.1:4318".parse().expect("addr")
    );
}

/// A JSON body the file reader opens with warnings — a byte that is not UTF-8, an
/// attribute nested 30 kvlists deep — is taken with a partial success saying so,
/// not refused whole with 400 (exporters drop a batch answered 400).
#[test]
fn json_bodies_the_file_reader_mends_are_taken_with_a_partial_success() {
    fn nested(depth: usize) -> serde_json::Value {
        let mut v = serde_json::json!({"stringValue": "leaf"});
        for i in 0..depth {
            v = serde_json::json!({"kvlistValue": {"values": [{"key": format!("k{i}"), "value": v}]}});
        }
        v
    }
    let span = |id: &str, name: &str, attrs: serde_json::Value| {
        serde_json::json!({"resourceSpans": [{"resource": {}, "scopeSpans": [{"scope": {}, "spans": [{
            "traceId": "0af7651916cd43dd8448eb211c80319c", "spanId": id, "name": name, "kind": 1,
            "startTimeUnixNano": "1763000000000000000", "endTimeUnixNano": "1763000001000000000",
            "attributes": attrs}]}]}]})
        .to_string()
    };
    let deep = span(
        "b7ad6b7169203331",
        "deep",
        serde_json::json!([{"key": "deep", "value": nested(30)}]),
    );
    let bad = span("b7ad6b7169203332", "bad-NAME", serde_json::json!([]))
        .replace("NAME", "\u{1}")
        .into_bytes()
        .into_iter()
        .map(|b| if b == 1 { 0xff } else { b })
        .collect::<Vec<u8>>();
    let (sink, got) = collecting(true);
    let r = listen(loopback(1 << 20, 4 << 20, None), sink).expect("listen");
    for (body, said) in [(deep.into_bytes(), "nested deeper"), (bad, "not UTF-8")] {
        let (code, _, answer) = post(
            r.addr,
            "POST",
            "/v1/traces",
            &[("Content-Type", "application/json")],
            &body,
        );
        let answer = String::from_utf8_lossy(&answer);
        assert_eq!(code, 200, "{answer}");
        assert!(
            answer.contains("partialSuccess") && answer.contains(said),
            "{answer}"
        );
    }
    assert_eq!(
        got.lock()
            .expect("lock")
            .iter()
            .map(|r| r.spans)
            .sum::<usize>(),
        2
    );
    // Not JSON at all is still a 400.
    let (code, _, _) = post(
        r.addr,
        "POST",
        "/v1/traces",
        &[("Content-Type", "application/json")],
        b"hello",
    );
    assert_eq!(code, 400);
}

/// The gRPC status of one unary call made by curl over HTTP/2 with `message` as its
/// length-prefixed body; `None` when curl cannot speak HTTP/2 here.
fn grpc_status(addr: std::net::SocketAddr, message: &[u8]) -> Option<String> {
    let dir = tempfile::tempdir().expect("tempdir");
    let body = dir.path().join("body.bin");
    let mut framed = vec![0u8];
    framed.extend_from_slice(&(message.len() as u32).to_be_bytes());
    framed.extend_from_slice(message);
    std::fs::write(&body, framed).expect("write");
    let out = std::process::Command::new("curl")
        .args([
            "-s",
            "--http2-prior-knowledge",
            "-D",
            "-",
            "-o",
            "/dev/null",
            "--max-time",
            "20",
        ])
        .args(["-H", "content-type: application/grpc", "-H", "te: trailers"])
        .arg("--data-binary")
        .arg(format!("@{}", body.display()))
        .arg(format!(
            "http://{addr}/opentelemetry.proto.collector.trace.v1.TraceService/Export"
        ))
        .output()
        .ok()?;
    let head = String::from_utf8_lossy(&out.stdout).to_ascii_lowercase();
    head.lines()
        .find_map(|l| l.strip_prefix("grpc-status:"))
        .map(|c| c.trim().to_owned())
}

/// gRPC answers exporters act on rightly (issue 29): bytes that are not protobuf and
/// a message over the limit get INVALID_ARGUMENT (not retried; they were INTERNAL
/// and OUT_OF_RANGE, which exporters retry for ever), an empty request is OK.
#[test]
fn grpc_refusals_are_ones_exporters_do_not_retry() {
    let (sink, _) = collecting(true);
    let mut opts = loopback(1 << 20, 4096, None);
    opts.grpc_addr = Some("127.0.0.1:0".parse().expect("addr"));
    let r = listen(opts, sink).expect("listen");
    let g = r.grpc_addr.expect("grpc");
    let Some(empty) = grpc_status(g, b"") else {
        eprintln!("SKIPPED: curl cannot make HTTP/2 requests here");
        return;
    };
    assert_eq!(empty, "0", "an empty request");
    assert_eq!(
        grpc_status(g, &[0xff; 5]).as_deref(),
        Some("3"),
        "not protobuf"
    );
    // A field 1 (resource_spans) of 8 KiB: over the 4 KiB decoded limit.
    let mut big = vec![0x0a, 0x80, 0x40];
    big.extend(std::iter::repeat_n(0u8, 8192));
    assert_eq!(grpc_status(g, &big).as_deref(), Some("3"), "over the limit");
}

/// Large log records weigh by their bytes, not as one item each (issue 29: 30 records
/// of 100 MB were held as "30"): a consumer's waiting budget fills and the receiver
/// answers 503, and a request that could never fit gets 413.
#[test]
fn large_log_records_weigh_by_their_bytes() {
    let (collect, got) = collecting(true);
    let waiting = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let sink = agtrace::live::bounded_sink(waiting, 1_500, move |r| collect(r));
    let mut opts = loopback(4 << 20, 8 << 20, None);
    opts.max_request_items = 1_000;
    let r = listen(opts, sink).expect("listen");
    let record = |kib: usize| {
        serde_json::json!({"resourceLogs": [{"resource": {}, "scopeLogs": [{"scope": {}, "logRecords": [{
            "timeUnixNano": "1763000000000000000", "traceId": "0af7651916cd43dd8448eb211c80319c",
            "spanId": "b7ad6b7169203331", "eventName": "gen_ai.choice",
            "body": {"stringValue": "x".repeat(kib << 10)}}]}]}]})
        .to_string()
        .into_bytes()
    };
    let json = [("Content-Type", "application/json")];
    let (code, _, _) = post(r.addr, "POST", "/v1/logs", &json, &record(800));
    assert_eq!(code, 200, "the first fits");
    let (code, head, _) = post(r.addr, "POST", "/v1/logs", &json, &record(800));
    assert_eq!(code, 503, "the budget is full");
    assert!(head.contains("retry-after"), "{head}");
    let (code, _, _) = post(r.addr, "POST", "/v1/logs", &json, &record(1_200));
    assert_eq!(code, 413, "never fits");
    assert_eq!(got.lock().expect("lock").len(), 1);
}
