//! Trace backends as sources. ClickHouse for real: the ClickHouse engine from PyPI
//! `chdb` behind `tests/clickhouse_http.py` (which stands in for the server's HTTP
//! layer only), tables from the collector exporter's DDL, rows inserted as the
//! exporter inserts them, results compared with the same traces read from the OTLP
//! file. Tempo and Jaeger: a loopback server answering with bodies shaped as the
//! projects document them (our fixtures encoded with the real protobuf definitions,
//! the documented error bodies), and servers that are slow, send garbage, close
//! mid-answer or send more than the cap.

mod common;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex};

fn bin() -> std::path::PathBuf {
    assert_cmd::cargo::cargo_bin("agtrace")
}

fn run(args: &[&str], env: &[(&str, &str)]) -> (i32, String, String) {
    let out = Command::new(bin())
        .args(args)
        .env_remove("CLICKHOUSE_PASSWORD")
        .env_remove("SSL_CERT_FILE")
        .env("NETRC", "/nonexistent")
        .envs(env.iter().copied())
        .output()
        .expect("run agtrace");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// The rows of `ls --json`, keyed by trace id, with the fields that must agree.
fn rows(stdout: &str) -> Vec<String> {
    let mut out: Vec<String> = stdout
        .lines()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .map(|v| {
            [
                "trace_id",
                "root_name",
                "service",
                "session_id",
                "start_unix_nano",
                "duration_ms",
                "span_count",
                "error_count",
                "warning_count",
                "status",
                "llm_calls",
                "tool_calls",
                "input_tokens",
                "output_tokens",
                "cache_read_tokens",
                "cost_usd",
            ]
            .iter()
            .map(|k| format!("{k}={}", v[k]))
            .chain(std::iter::once(format!(
                "findings={}",
                v["findings"]
                    .as_array()
                    .map(|f| f
                        .iter()
                        .map(|x| x["kind"].to_string())
                        .collect::<Vec<_>>()
                        .join(","))
                    .unwrap_or_default()
            )))
            .collect::<Vec<_>>()
            .join(" ")
        })
        .collect();
    out.sort();
    out
}

fn file_rows(args: &[&str]) -> Vec<String> {
    let fixture = common::fixture("agent-incident.otlp.json");
    let mut all = vec!["ls", fixture.to_str().expect("path"), "--json"];
    all.extend_from_slice(args);
    let (code, out, err) = run(&all, &[]);
    assert!(code == 0 || code == 3, "{err}");
    rows(&out)
}

// ---------------------------------------------------------------- ClickHouse

struct ClickHouse {
    child: std::process::Child,
    port: u16,
}

impl Drop for ClickHouse {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn python() -> Option<std::path::PathBuf> {
    let p = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("target/pyvenv/bin/python");
    let ok = p.exists()
        && Command::new(&p)
            .args(["-c", "import chdb"])
            .status()
            .is_ok_and(|s| s.success());
    ok.then_some(p)
}

fn clickhouse(extra: &[&str]) -> Option<ClickHouse> {
    let Some(py) = python() else {
        common::skipped(
            "chdb (the ClickHouse engine from PyPI) is not installed in target/pyvenv; the ClickHouse tests did not run (.ci/run installs it)",
        );
        return None;
    };
    let dir = env!("CARGO_MANIFEST_DIR");
    let mut child = Command::new(py)
        .arg(format!("{dir}/tests/clickhouse_http.py"))
        .args(["--schema", &format!("{dir}/tests/clickhouse/schema.sql")])
        .args([
            "--load",
            &format!("{dir}/testdata/agent-incident.otlp.json"),
        ])
        .args(extra)
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("start the ClickHouse adapter");
    let mut line = String::new();
    BufReader::new(child.stdout.take().expect("stdout"))
        .read_line(&mut line)
        .expect("READY line");
    let port = line
        .strip_prefix("READY ")
        .and_then(|p| p.trim().parse().ok())
        .unwrap_or_else(|| panic!("the adapter did not start: {line:?}"));
    Some(ClickHouse { child, port })
}

#[test]
fn clickhouse_gives_the_same_traces_as_the_file() {
    let Some(ch) = clickhouse(&[]) else { return };
    let url = format!("clickhouse://127.0.0.1:{}/otel", ch.port);
    let from = ["--from", "2025-11-20"];
    // Every trace, then a session, then a filter the engine narrows.
    for (args, local) in [
        (vec![], vec![]),
        (
            vec!["--session", "conv-8812"],
            vec!["--session", "conv-8812"],
        ),
        (
            vec!["--filter", "status:error"],
            vec!["--filter", "status:error"],
        ),
        (
            vec!["--filter", "model:gpt-4o*"],
            vec!["--filter", "model:gpt-4o*"],
        ),
        (
            vec!["--filter", "tool:refund_payment dur>1s"],
            vec!["--filter", "tool:refund_payment dur>1s"],
        ),
    ] {
        let mut all = vec!["ls", url.as_str(), "--json"];
        all.extend_from_slice(&from);
        all.extend_from_slice(&args);
        let (code, out, err) = run(&all, &[]);
        assert!(code == 0 || code == 3, "{args:?}: {err}");
        assert_eq!(rows(&out), file_rows(&local), "{args:?}");
        assert!(!rows(&out).is_empty() || code == 3);
    }
    // One trace by id: the same tree as from the file.
    let id = "0af7651916cd43dd8448eb211c80319c";
    let (code, from_ch, err) = run(&["show", &url, id], &[]);
    assert_eq!(code, 0, "{err}");
    let fixture = common::fixture("agent-incident.otlp.json");
    let (_, from_file, _) = run(&["show", fixture.to_str().expect("path"), id], &[]);
    let body = |s: &str| -> String {
        s.lines()
            .filter(|l| !l.contains("read from"))
            .collect::<Vec<_>>()
            .join("\n")
    };
    assert_eq!(body(&from_ch), body(&from_file));
    // Every value went to the engine as a parameter, never into the SQL text.
    let log: serde_json::Value = ureq_get(&format!("http://127.0.0.1:{}/_queries", ch.port));
    let queries = log.as_array().expect("query log");
    assert!(!queries.is_empty());
    for q in queries {
        let sql = q["sql"].as_str().unwrap_or("");
        assert!(
            !sql.contains("conv-8812") && !sql.contains(id) && !sql.contains("otel_traces"),
            "{sql}"
        );
    }
    // A limit below the matches says so.
    let (code, out, err) = run(
        &[
            "ls",
            &url,
            "--from",
            "2025-11-20",
            "--max-traces",
            "2",
            "--json",
        ],
        &[],
    );
    assert_eq!(code, 0, "{err}");
    assert_eq!(out.lines().count(), 2);
    assert!(
        err.contains("more traces available: showing the newest 2"),
        "{err}"
    );
    // export and import read it like any source.
    let dir = tempfile::tempdir().expect("tempdir");
    let db = dir.path().join("pulled.db");
    let (code, _, err) = run(
        &[
            "import",
            &url,
            "--from",
            "2025-11-20",
            "--db",
            db.to_str().expect("path"),
        ],
        &[],
    );
    assert_eq!(code, 0, "{err}");
    let (_, stored, _) = run(&["ls", db.to_str().expect("path"), "--json"], &[]);
    assert_eq!(rows(&stored).len(), 4);
    let (code, exported, err) = run(
        &["export", &url, "--trace", id, "--format", "otlp-json"],
        &[],
    );
    assert_eq!(code, 0, "{err}");
    assert!(exported.contains("b000000000000004"));
}

/// A GET through plain std (the test's own view of the adapter's query log).
fn ureq_get(url: &str) -> serde_json::Value {
    let addr = url.trim_start_matches("http://");
    let (host, path) = addr.split_once('/').expect("path");
    let mut s = std::net::TcpStream::connect(host).expect("connect");
    write!(
        s,
        "GET /{path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n"
    )
    .expect("write");
    let mut text = String::new();
    s.read_to_string(&mut text).expect("read");
    let body = text.split_once("\r\n\r\n").map_or("", |(_, b)| b);
    serde_json::from_str(body).expect("JSON")
}

/// A self-signed certificate for 127.0.0.1 (PEM certificate and key files in `dir`).
fn self_signed(dir: &std::path::Path) -> (String, String) {
    let cert = rcgen::generate_simple_self_signed(vec!["127.0.0.1".into(), "localhost".into()])
        .expect("certificate");
    let (c, k) = (dir.join("cert.pem"), dir.join("key.pem"));
    std::fs::write(&c, cert.cert.pem()).expect("write cert");
    std::fs::write(&k, cert.signing_key.serialize_pem()).expect("write key");
    (c.display().to_string(), k.display().to_string())
}

#[test]
fn clickhouse_over_https_checks_the_certificate() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (cert, key) = self_signed(dir.path());
    let Some(ch) = clickhouse(&["--tls-cert", &cert, "--tls-key", &key]) else {
        return;
    };
    let url = format!("clickhouse+https://127.0.0.1:{}/otel", ch.port);
    let from = ["--from", "2025-11-20"];
    // Trusted through SSL_CERT_FILE: the same traces as the file.
    let (code, out, err) = run(
        &[&["ls", &url, "--json"][..], &from[..]].concat(),
        &[("SSL_CERT_FILE", &cert)],
    );
    assert_eq!(code, 0, "{err}");
    assert_eq!(rows(&out), file_rows(&[]));
    // `?secure=true` is the same thing.
    let secure = format!("clickhouse://127.0.0.1:{}/otel?secure=true", ch.port);
    let (code, _, err) = run(
        &[&["ls", &secure][..], &from[..]].concat(),
        &[("SSL_CERT_FILE", &cert)],
    );
    assert_eq!(code, 0, "{err}");
    // Not trusted by Mozilla's roots: refused, with what to do.
    let (code, _, err) = run(&[&["ls", &url][..], &from[..]].concat(), &[]);
    assert_eq!(code, 1);
    assert!(
        err.contains("TLS") && err.contains("SSL_CERT_FILE"),
        "{err}"
    );
    // A bundle without certificates, and one that is not there.
    let empty = dir.path().join("empty.pem");
    std::fs::write(&empty, "not a certificate\n").expect("write");
    let (code, _, err) = run(
        &[&["ls", &url][..], &from[..]].concat(),
        &[("SSL_CERT_FILE", &empty.display().to_string())],
    );
    assert_eq!(code, 1);
    assert!(err.contains("no PEM certificate"), "{err}");
    // Plain HTTP to a TLS port: an error, not a hang.
    let plain = format!("clickhouse://127.0.0.1:{}/otel", ch.port);
    let started = std::time::Instant::now();
    let (code, _, err) = run(
        &[&["ls", &plain, "--timeout", "5"][..], &from[..]].concat(),
        &[],
    );
    assert_eq!(code, 1, "{err}");
    assert!(started.elapsed().as_secs() < 20, "{err}");
}

#[test]
fn tempo_and_jaeger_behind_a_path() {
    let body =
        serde_json::json!({"trace": {"batches": otlp_json(OK_TRACE)["resourceSpans"].take()}});
    let s = serve(vec![
        (
            Box::leak(format!("/tempo/api/v2/traces/{OK_TRACE}").into_boxed_str()),
            Reply::Body(200, "application/json", body.to_string().into_bytes()),
        ),
        (
            Box::leak(format!("/ops/jaeger/api/v3/traces/{OK_TRACE}").into_boxed_str()),
            Reply::Body(
                200,
                "application/json",
                serde_json::json!({"result": otlp_json(OK_TRACE)})
                    .to_string()
                    .into_bytes(),
            ),
        ),
    ]);
    for url in [
        format!("tempo://127.0.0.1:{}/tempo", s.port),
        format!("jaeger://127.0.0.1:{}/ops/jaeger/", s.port),
    ] {
        let (code, out, err) = run(&["ls", &url, "--trace", OK_TRACE, "--json"], &[]);
        assert_eq!(code, 0, "{url}: {err}");
        assert_eq!(
            rows(&out),
            file_rows(&["--filter", &format!("trace:{OK_TRACE}")]),
            "{url}"
        );
    }
}

#[test]
fn clickhouse_errors_are_the_servers_words() {
    let Some(ch) = clickhouse(&["--password", "s3cret"]) else {
        return;
    };
    let url = format!("clickhouse://reader@127.0.0.1:{}/otel", ch.port);
    let (code, _, err) = run(&["ls", &url, "--from", "2025-11-20"], &[]);
    assert_eq!(code, 1);
    assert!(
        err.contains("authentication failed") && err.contains("AUTHENTICATION_FAILED"),
        "{err}"
    );
    let (code, out, err) = run(
        &["ls", &url, "--from", "2025-11-20"],
        &[("CLICKHOUSE_PASSWORD", "s3cret")],
    );
    assert_eq!(code, 0, "{err}");
    assert_eq!(out.lines().count(), 5, "{out}");
    // A password in the URL is refused (it would show in ps).
    let (code, _, err) = run(
        &[
            "ls",
            &format!("clickhouse://u:pw@127.0.0.1:{}/otel", ch.port),
        ],
        &[],
    );
    assert_ne!(code, 0);
    assert!(err.contains("password"), "{err}");
    // A table that is not there: the engine's message.
    let (code, _, err) = run(
        &[
            "ls",
            &format!("clickhouse://127.0.0.1:{}/otel?table=nope", ch.port),
            "--from",
            "2025-11-20",
        ],
        &[("CLICKHOUSE_PASSWORD", "s3cret")],
    );
    assert_eq!(code, 1);
    assert!(
        err.contains("rejected the query") && err.contains("UNKNOWN_TABLE"),
        "{err}"
    );
}

// ------------------------------------------------------------- Tempo, Jaeger

/// How the test server answers one path.
#[derive(Clone)]
enum Reply {
    Body(u16, &'static str, Vec<u8>),
    Slow(u64),
    CloseMidway,
}

/// A loopback HTTP server answering by path prefix (longest first); records every
/// request line.
struct Server {
    port: u16,
    seen: Arc<Mutex<Vec<String>>>,
}

fn serve(routes: Vec<(&'static str, Reply)>) -> Server {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = listener.local_addr().expect("addr").port();
    let seen = Arc::new(Mutex::new(Vec::new()));
    let log = seen.clone();
    let mut routes = routes;
    routes.sort_by_key(|(p, _)| std::cmp::Reverse(p.len()));
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { continue };
            let routes = routes.clone();
            let log = log.clone();
            std::thread::spawn(move || {
                let mut reader = BufReader::new(stream.try_clone().expect("clone"));
                let mut first = String::new();
                if reader.read_line(&mut first).is_err() {
                    return;
                }
                let mut accept = String::new();
                loop {
                    let mut h = String::new();
                    if reader.read_line(&mut h).is_err() || h == "\r\n" || h.is_empty() {
                        break;
                    }
                    if h.to_ascii_lowercase().starts_with("accept:") {
                        accept = h.trim().to_owned();
                    }
                }
                let target = first.split_whitespace().nth(1).unwrap_or("").to_owned();
                log.lock().expect("log").push(format!("{target} {accept}"));
                let reply = routes
                    .iter()
                    .find(|(p, _)| target.starts_with(p))
                    .map(|(_, r)| r.clone())
                    .unwrap_or(Reply::Body(
                        404,
                        "text/plain",
                        b"404 page not found\n".to_vec(),
                    ));
                match reply {
                    Reply::Body(status, ct, body) => {
                        let _ = write!(
                            stream,
                            "HTTP/1.1 {status} X\r\nContent-Type: {ct}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
                            body.len()
                        );
                        let _ = stream.write_all(&body);
                    }
                    Reply::Slow(secs) => std::thread::sleep(std::time::Duration::from_secs(secs)),
                    Reply::CloseMidway => {
                        let _ = write!(
                            stream,
                            "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 100000\r\n\r\n{{\"result\": {{\"resourceSpans\": ["
                        );
                    }
                }
            });
        }
    });
    Server { port, seen }
}

/// The fixture's OTLP/JSON, only the spans of `trace` (all when empty).
fn otlp_json(trace: &str) -> serde_json::Value {
    let text =
        std::fs::read_to_string(common::fixture("agent-incident.otlp.json")).expect("fixture");
    let mut v: serde_json::Value = serde_json::from_str(&text).expect("json");
    for rs in v["resourceSpans"].as_array_mut().expect("resourceSpans") {
        for ss in rs["scopeSpans"].as_array_mut().expect("scopeSpans") {
            ss["spans"]
                .as_array_mut()
                .expect("spans")
                .retain(|s| trace.is_empty() || s["traceId"].as_str() == Some(trace));
        }
    }
    v
}

/// The same trace as OTLP protobuf `TracesData` (written by agtrace's exporter,
/// checked with the reference types).
fn traces_data(trace: &str) -> Vec<u8> {
    use prost::Message as _;
    let set = common::load_ok(&["agent-incident.otlp.json"]);
    let t = set.find_traces(trace);
    let spans = agtrace::export::select(&set, &t, None);
    let mut buf = Vec::new();
    agtrace::export::write(
        &mut buf,
        &set,
        &spans,
        agtrace::export::ExportFormat::OtlpProto,
        None,
        &mut |_| {},
    )
    .expect("export");
    let td = opentelemetry_proto::tonic::trace::v1::TracesData::decode(buf.as_slice())
        .expect("TracesData");
    td.encode_to_vec()
}

const FAILED: &str = "0af7651916cd43dd8448eb211c80319c";
const OK_TRACE: &str = "4bf92f3577b34da6a3ce929d0e0e4736";

#[test]
fn tempo_by_id_as_protobuf_and_as_json() {
    // TraceByIDResponse { trace = 1 }: the TracesData bytes as field 1.
    let inner = traces_data(FAILED);
    let mut proto = vec![0x0a];
    let mut n = inner.len();
    while n >= 0x80 {
        proto.push((n as u8) | 0x80);
        n >>= 7;
    }
    proto.push(n as u8);
    proto.extend_from_slice(&inner);
    let mut batches = otlp_json(OK_TRACE);
    let rs = batches["resourceSpans"].take();
    let json_body = serde_json::json!({"trace": {"batches": rs}, "status": "complete"});
    let s = serve(vec![
        (
            Box::leak(format!("/api/v2/traces/{FAILED}").into_boxed_str()),
            Reply::Body(200, "application/protobuf", proto),
        ),
        (
            Box::leak(format!("/api/v2/traces/{OK_TRACE}").into_boxed_str()),
            Reply::Body(200, "application/json", json_body.to_string().into_bytes()),
        ),
        ("/api/v2/traces/", Reply::Body(404, "text/plain", b"trace not found\n".to_vec())),
        (
            "/api/search",
            Reply::Body(
                200,
                "application/json",
                // Tempo drops the leading zero of an id.
                format!(r#"{{"traces":[{{"traceID":"{}","rootServiceName":"support-agent","rootTraceName":"invoke_agent support","startTimeUnixNano":"1763694780000000000","durationMs":34500}},{{"traceID":"{OK_TRACE}","rootServiceName":"support-agent","startTimeUnixNano":"1763694720000000000","durationMs":4200}}],"metrics":{{"inspectedBytes":"1024","completedJobs":1,"totalJobs":1}}}}"#, FAILED.trim_start_matches('0')).into_bytes(),
            ),
        ),
    ]);
    let url = format!("tempo://127.0.0.1:{}", s.port);
    for id in [FAILED, OK_TRACE] {
        let (code, out, err) = run(&["ls", &url, "--trace", id, "--json"], &[]);
        assert_eq!(code, 0, "{id}: {err}");
        assert_eq!(
            rows(&out),
            file_rows(&["--filter", &format!("trace:{id}")]),
            "{id}: {err}"
        );
    }
    assert!(
        s.seen
            .lock()
            .expect("log")
            .iter()
            .any(|l| l.contains(FAILED) && l.to_ascii_lowercase().contains("application/protobuf")),
        "protobuf asked for"
    );
    // A search: TraceQL from the session, every trace found fetched by id.
    let (code, out, err) = run(
        &[
            "ls",
            &url,
            "--session",
            "conv-8812",
            "--since",
            "30d",
            "--json",
        ],
        &[],
    );
    assert_eq!(code, 0, "{err}");
    assert_eq!(rows(&out), file_rows(&["--session", "conv-8812"]));
    let seen = s.seen.lock().expect("log").clone();
    let search = seen
        .iter()
        .find(|l| l.starts_with("/api/search"))
        .expect("a search");
    let q = percent_decode(
        search
            .split("q=")
            .nth(1)
            .and_then(|r| r.split('&').next())
            .unwrap_or(""),
    );
    assert!(
        q.starts_with("{ span.gen_ai.conversation.id = \"conv-8812\""),
        "{q}"
    );
    assert!(search.contains("limit=101"), "{search}");
}

fn percent_decode(s: &str) -> String {
    percent_encoding::percent_decode_str(s)
        .decode_utf8_lossy()
        .into_owned()
}

#[test]
fn tempo_errors_are_shown_with_the_servers_text() {
    let s = serve(vec![(
        "/api/search",
        Reply::Body(
            400,
            "text/plain",
            b"invalid TraceQL query: parse error at line 1, col 3: syntax error: unexpected IDENTIFIER\x1b[31m\n".to_vec(),
        ),
    )]);
    let (code, _, err) = run(
        &[
            "ls",
            &format!("tempo://127.0.0.1:{}", s.port),
            "--since",
            "1h",
        ],
        &[],
    );
    assert_eq!(code, 1);
    assert!(
        err.contains("HTTP 400") && err.contains("invalid TraceQL query"),
        "{err}"
    );
    assert!(!err.contains('\x1b'), "sanitized: {err:?}");
}

#[test]
fn jaeger_v3_v1_fallback_and_search() {
    let v3 = serde_json::json!({"result": otlp_json(FAILED)});
    let v1 = std::fs::read(common::fixture("shapes/agent-incident.jaeger.json")).expect("fixture");
    let all = serde_json::json!({"result": otlp_json("")});
    let s = serve(vec![
        (
            Box::leak(format!("/api/v3/traces/{FAILED}").into_boxed_str()),
            Reply::Body(200, "application/json", v3.to_string().into_bytes()),
        ),
        (
            "/api/v3/traces/",
            Reply::Body(
                404,
                "application/json",
                br#"{"error":{"httpCode":404,"message":"trace not found"}}"#.to_vec(),
            ),
        ),
        (
            "/api/v3/services",
            Reply::Body(
                200,
                "application/json",
                br#"{"services":["support-agent","jaeger-all-in-one"]}"#.to_vec(),
            ),
        ),
        (
            "/api/v3/traces?",
            Reply::Body(200, "application/json", all.to_string().into_bytes()),
        ),
    ]);
    let url = format!("jaeger://127.0.0.1:{}", s.port);
    let (code, out, err) = run(&["ls", &url, "--trace", FAILED, "--json"], &[]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(
        rows(&out),
        file_rows(&["--filter", &format!("trace:{FAILED}")])
    );
    // Not found in v3 (a Jaeger error object): nothing, not a fallback.
    let (code, _, _) = run(&["ls", &url, "--trace", OK_TRACE], &[]);
    assert_eq!(code, 3);
    // A search: the services are listed (Jaeger's own skipped), each searched.
    let (code, out, err) = run(&["ls", &url, "--since", "30d", "--json"], &[]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(rows(&out), file_rows(&[]));
    let seen = s.seen.lock().expect("log").clone();
    assert!(
        seen.iter()
            .any(|l| l.contains("query.serviceName=support%2Dagent")),
        "{seen:?}"
    );
    assert!(
        !seen.iter().any(|l| l.contains("query.serviceName=jaeger")),
        "{seen:?}"
    );

    // An older Jaeger: no v3 (a plain 404 page), the v1 API answers.
    let old = serve(vec![(
        Box::leak(format!("/api/traces/{FAILED}").into_boxed_str()),
        Reply::Body(200, "application/json", v1),
    )]);
    let (code, out, err) = run(
        &[
            "ls",
            &format!("jaeger://127.0.0.1:{}", old.port),
            "--trace",
            FAILED,
            "--json",
        ],
        &[],
    );
    assert_eq!(code, 0, "{err}");
    let got = rows(&out);
    assert_eq!(got.len(), 1);
    assert!(got[0].contains(FAILED), "{got:?}");
}

#[test]
fn slow_garbage_cut_and_huge_answers_get_clear_messages() {
    let big = vec![b' '; 3 << 20];
    // A 50 MB answer (the trace with a 50 MB tool result) is read whole, not refused.
    let mut doc = otlp_json(FAILED);
    let span = doc["resourceSpans"]
        .as_array_mut()
        .into_iter()
        .flatten()
        .flat_map(|rs| rs["scopeSpans"].as_array_mut().into_iter().flatten())
        .flat_map(|ss| ss["spans"].as_array_mut().into_iter().flatten())
        .next()
        .expect("a span of the trace");
    span["attributes"]
        .as_array_mut()
        .expect("attributes")
        .push(serde_json::json!({"key": "gen_ai.tool.call.result", "value": {"stringValue": "x".repeat(50 << 20)}}));
    let fifty_mb = serde_json::json!({"result": doc}).to_string().into_bytes();
    let s = serve(vec![
        ("/api/v3/traces/aaaa", Reply::Slow(10)),
        (
            "/api/v3/traces/bbbb",
            Reply::Body(200, "application/json", b"<html>oops</html>".to_vec()),
        ),
        ("/api/v3/traces/cccc", Reply::CloseMidway),
        (
            "/api/v3/traces/dddd",
            Reply::Body(200, "application/json", big),
        ),
        (
            Box::leak(format!("/api/v3/traces/{FAILED}").into_boxed_str()),
            Reply::Body(200, "application/json", fifty_mb),
        ),
    ]);
    let url = format!("jaeger://127.0.0.1:{}", s.port);
    let id = |p: &str| p.repeat(8);
    let started = std::time::Instant::now();
    let (code, _, err) = run(&["ls", &url, "--trace", &id("aaaa"), "--timeout", "1"], &[]);
    assert_eq!(code, 1);
    assert!(err.contains("no answer within 1 s"), "{err}");
    assert!(
        started.elapsed() < std::time::Duration::from_secs(8),
        "the timeout held"
    );
    let (code, _, err) = run(&["ls", &url, "--trace", &id("bbbb")], &[]);
    assert_eq!(code, 1);
    assert!(err.contains("unexpected answer"), "{err}");
    let (code, _, err) = run(&["ls", &url, "--trace", &id("cccc"), "--timeout", "5"], &[]);
    assert_eq!(code, 1);
    assert!(
        err.contains("closed mid-answer") || err.contains("no answer within"),
        "{err}"
    );
    let (code, _, err) = run(
        &["ls", &url, "--trace", &id("dddd")],
        &[("AGTRACE_BACKEND_MAX_MB", "1")],
    );
    assert_eq!(code, 1);
    assert!(err.contains("larger than 1 MB"), "{err}");
    let (code, out, err) = run(&["ls", &url, "--trace", FAILED, "--json"], &[]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(rows(&out).len(), 1);
    // Nothing listening.
    let port = TcpListener::bind("127.0.0.1:0")
        .expect("bind")
        .local_addr()
        .expect("addr")
        .port();
    let (code, _, err) = run(
        &[
            "ls",
            &format!("tempo://127.0.0.1:{port}"),
            "--trace",
            &id("eeee"),
        ],
        &[],
    );
    assert_eq!(code, 1);
    assert!(err.contains("connection"), "{err}");
}

#[test]
fn the_explorer_pages_refreshes_and_cancels_off_the_ui_thread() {
    use agtrace::tui::keymap::Action;
    let Some(ch) = clickhouse(&[]) else { return };
    let url = format!("clickhouse://127.0.0.1:{}/otel", ch.port);
    let mut opts = agtrace::source::LoadOptions::with_threads(1);
    opts.backend_query = agtrace::backend::Query {
        from: agtrace::backend::parse_time("2025-11-20"),
        limit: Some(2),
        ..Default::default()
    };
    let inputs = vec![agtrace::source::Input::Backend(url.clone())];
    let set = agtrace::input::load(&inputs, &opts).expect("load");
    let mut app = agtrace::tui::app::App::with_set(set, url);
    app.reload = Some(agtrace::tui::app::reload_of(inputs, opts));
    assert_eq!(app.shared.set.traces.len(), 2);
    assert!(
        app.shared.status.contains("more traces available")
            && app.shared.status.contains("M fetches the next page"),
        "{}",
        app.shared.status
    );
    // M: the next page, read on a worker thread.
    app.update(Action::More);
    assert!(app.jobs.busy());
    app.settle(std::time::Duration::from_secs(20));
    assert_eq!(app.shared.set.traces.len(), 4, "{}", app.shared.status);
    app.update(Action::More);
    assert_eq!(app.shared.status, "no more traces to fetch");
    // r, then Esc: what was shown stays.
    app.update(Action::Refresh);
    app.update(Action::Back);
    assert!(
        app.shared.status.contains("refresh cancelled"),
        "{}",
        app.shared.status
    );
    app.settle(std::time::Duration::from_secs(20));
    assert_eq!(app.shared.set.traces.len(), 4);
    // A refresh that fails says why and keeps the list.
    drop(ch);
    app.update(Action::Refresh);
    app.settle(std::time::Duration::from_secs(20));
    assert!(
        app.shared.status.contains("connection"),
        "{}",
        app.shared.status
    );
    assert_eq!(app.shared.set.traces.len(), 4);
}
