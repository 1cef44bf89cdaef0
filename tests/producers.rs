//! Producer conformance: the real, current instrumentation libraries (their own
//! packages, pinned in `tests/producers/requirements-*.txt`, installed by `.ci/run`
//! in venvs under `target/producers/`) run scripted agents against a fake model
//! server (`tests/producers/fake_llm.py`) on loopback. The server and the drivers
//! write the ground truth — every model call with the usage the server reported,
//! every tool call with its arguments, how each run ended — and each run's spans
//! reach agtrace four ways: OTLP/HTTP and OTLP/gRPC into `import --listen`, and the
//! SDK's console exporter as a file and on stdin. For every library × path the test
//! compares what agtrace reports (`ls --json`, `show --json`) with the ground truth
//! and the paths with each other, and lists every mismatch before it fails.
//!
//! A family whose venv is missing is skipped, said on stderr (a failure under
//! `AGTRACE_REQUIRE_ALL_TESTS=1`). `AGTRACE_PRODUCERS_REPORT=FILE` writes the
//! library × path matrix and what each library emits (README's table) to FILE.

mod common;

use serde_json::Value;
use std::collections::BTreeMap;
use std::io::{Read as _, Write as _};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// What a library records, so the comparison asks only for what it emits.
#[derive(Clone, Copy, Default)]
struct Emits {
    /// Tool spans with arguments and result.
    tools: bool,
    /// A tool that raised is a failed span.
    tool_errors: bool,
    /// The session id.
    sessions: bool,
    /// Cache-read tokens.
    cache: bool,
    /// The finish reason (a cut-off answer).
    finish: bool,
    /// The tool arguments whole (Claude Code records a Bash call's command only).
    args: bool,
    /// The tools are run by the producer itself (Claude Code): what it ran is read
    /// from the fake server's log (the calls it asked for, the results it got back).
    tools_from_server: bool,
    /// A run the application saw fail shows as failed (Claude Code ends a turn that
    /// gave up after cut-off answers without marking any span).
    run_errors: bool,
    /// Every answered model call says its time to first token.
    ttft: bool,
    /// The user's prompt, read as the run's first user message.
    prompt: bool,
}

/// One run of a driver script: its name (service name and `[run:…]` tag), the
/// family it needs (a venv, or node_modules for a `.mjs` script), its script and
/// arguments, environment and what it emits.
struct Run {
    name: &'static str,
    /// The package whose version the report names.
    library: &'static str,
    family: &'static str,
    script: &'static str,
    args: &'static [&'static str],
    env: &'static [(&'static str, &'static str)],
    emits: Emits,
    /// The paths its spans take (all four unless the producer has no file exporter).
    paths: &'static [&'static str],
}

/// Every path: OTLP/HTTP and OTLP/gRPC into `import --listen`, the console
/// exporter's file, and that file on stdin.
const ALL_PATHS: &[&str] = &["otlp-http", "otlp-grpc", "file", "stdin"];

/// The libraries, each run against the same scenarios.
const RUNS: &[Run] = &[
    Run {
        name: "openai-v2-latest",
        library: "opentelemetry-instrumentation-openai-v2",
        family: "otel",
        script: "openai_v2.py",
        args: &[],
        env: &[
            (
                "OTEL_SEMCONV_STABILITY_OPT_IN",
                "gen_ai_latest_experimental",
            ),
            (
                "OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT",
                "SPAN_ONLY",
            ),
        ],
        emits: OPENAI_V2,
        paths: ALL_PATHS,
    },
    Run {
        name: "openai-v2-legacy",
        library: "opentelemetry-instrumentation-openai-v2",
        family: "otel",
        script: "openai_v2.py",
        args: &[],
        env: &[("OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT", "true")],
        emits: OPENAI_V2,
        paths: ALL_PATHS,
    },
    Run {
        name: "openai-v2-nocontent",
        library: "opentelemetry-instrumentation-openai-v2",
        family: "otel",
        script: "openai_v2.py",
        args: &[],
        env: &[
            (
                "OTEL_SEMCONV_STABILITY_OPT_IN",
                "gen_ai_latest_experimental",
            ),
            (
                "OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT",
                "NO_CONTENT",
            ),
        ],
        emits: OPENAI_V2,
        paths: ALL_PATHS,
    },
    Run {
        name: "oi-openai",
        library: "openinference-instrumentation-openai",
        family: "openinference",
        script: "oi_openai.py",
        args: &[],
        env: &[],
        emits: Emits {
            tools: false,
            tool_errors: false,
            ..AGENT
        },
        paths: ALL_PATHS,
    },
    Run {
        name: "oi-agents",
        library: "openinference-instrumentation-openai-agents",
        family: "openinference",
        script: "oi_agents.py",
        args: &[],
        env: &[],
        emits: Emits {
            sessions: false,
            cache: false,
            finish: false,
            ..AGENT
        },
        paths: ALL_PATHS,
    },
    Run {
        name: "oi-langgraph",
        library: "openinference-instrumentation-langchain",
        family: "openinference",
        script: "oi_langgraph.py",
        args: &[],
        env: &[],
        emits: AGENT,
        paths: ALL_PATHS,
    },
    Run {
        name: "pydantic-ai-openai",
        library: "pydantic-ai-slim",
        family: "pydantic-ai",
        script: "pydantic_ai_run.py",
        args: &["openai"],
        env: &[],
        emits: Emits {
            sessions: false,
            ..AGENT
        },
        paths: ALL_PATHS,
    },
    Run {
        name: "pydantic-ai-anthropic",
        library: "pydantic-ai-slim",
        family: "pydantic-ai",
        script: "pydantic_ai_run.py",
        args: &["anthropic"],
        env: &[],
        emits: Emits {
            sessions: false,
            ..AGENT
        },
        paths: ALL_PATHS,
    },
    Run {
        name: "strands",
        library: "strands-agents",
        family: "strands",
        script: "strands_run.py",
        args: &[],
        env: &[],
        emits: Emits {
            ttft: true,
            ..AGENT
        },
        paths: ALL_PATHS,
    },
    Run {
        name: "traceloop-openai",
        library: "traceloop-sdk",
        family: "traceloop",
        script: "traceloop_run.py",
        args: &["openai"],
        env: &[],
        emits: AGENT,
        paths: ALL_PATHS,
    },
    Run {
        name: "traceloop-anthropic",
        library: "traceloop-sdk",
        family: "traceloop",
        script: "traceloop_run.py",
        args: &["anthropic"],
        env: &[],
        emits: AGENT,
        paths: ALL_PATHS,
    },
    Run {
        name: "vercel-ai-6",
        library: "ai",
        family: "vercel-ai-6",
        script: "vercel_ai.mjs",
        args: &[],
        env: &[],
        emits: Emits {
            sessions: false,
            ..AGENT
        },
        paths: ALL_PATHS,
    },
    Run {
        name: "vercel-ai-7",
        library: "ai",
        family: "vercel-ai-7",
        script: "vercel_ai.mjs",
        args: &[],
        env: &[],
        emits: Emits {
            sessions: false,
            ..AGENT
        },
        paths: ALL_PATHS,
    },
    Run {
        name: "google-adk",
        library: "google-adk",
        family: "google-adk",
        script: "google_adk_run.py",
        args: &[],
        env: &[
            ("GOOGLE_API_KEY", "fake"),
            (
                "OTEL_SEMCONV_STABILITY_OPT_IN",
                "gen_ai_latest_experimental",
            ),
            (
                "OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT",
                "SPAN_ONLY",
            ),
        ],
        emits: AGENT,
        paths: ALL_PATHS,
    },
    Run {
        name: "claude-code-http",
        library: "@anthropic-ai/claude-code",
        family: "claude-code",
        script: "claude_code.py",
        args: &[],
        env: &[("AGTRACE_CC_PROTOCOL", "http/protobuf")],
        emits: CLAUDE_CODE,
        paths: &["otlp-http"],
    },
    Run {
        name: "claude-code-grpc",
        library: "@anthropic-ai/claude-code",
        family: "claude-code",
        script: "claude_code.py",
        args: &[],
        env: &[("AGTRACE_CC_PROTOCOL", "grpc")],
        emits: CLAUDE_CODE,
        paths: &["otlp-grpc"],
    },
];

/// What Claude Code records: its own tools (a Bash call's command, not the rest of
/// its arguments), failures, cache reads and stop reasons.
const CLAUDE_CODE: Emits = Emits {
    sessions: false,
    args: false,
    tools_from_server: true,
    run_errors: false,
    ttft: true,
    prompt: true,
    ..AGENT
};

/// opentelemetry-instrumentation-openai-v2: model calls only (no tool spans, no
/// cache reads when streaming, no session).
const OPENAI_V2: Emits = Emits {
    tools: false,
    tool_errors: false,
    sessions: false,
    cache: false,
    ..AGENT
};

/// An agent framework that records it all: tools with arguments and results,
/// failures, sessions, cache reads and finish reasons.
const AGENT: Emits = Emits {
    tools: true,
    tool_errors: true,
    sessions: true,
    cache: true,
    finish: true,
    args: true,
    tools_from_server: false,
    run_errors: true,
    ttft: false,
    prompt: false,
};

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// How a family's drivers run: its venv's python, or node with its node_modules.
enum Runner {
    Python(PathBuf),
    Node(PathBuf),
}

/// The runner of a family, when it is installed.
fn runner(family: &str) -> Option<Runner> {
    let dir = repo().join("target/producers").join(family);
    let py = dir.join("bin/python");
    if py.exists() {
        return Some(Runner::Python(py));
    }
    let modules = dir.join("node_modules");
    let node = Command::new("node")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    (modules.is_dir() && node).then_some(Runner::Node(modules))
}

fn free_port() -> u16 {
    let l = std::net::TcpListener::bind("127.0.0.1:0").expect("a free port");
    l.local_addr().expect("addr").port()
}

fn wait_for_port(port: u16, what: &str) {
    let deadline = Instant::now() + Duration::from_secs(30);
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(Instant::now() < deadline, "{what} did not start");
        std::thread::sleep(Duration::from_millis(30));
    }
}

/// A child process killed when dropped (a failed assertion leaves nothing behind).
struct Reaped(Child);

impl Drop for Reaped {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// The fake model server.
fn fake_server(dir: &Path) -> (Reaped, String) {
    let port_file = dir.join("fake.port");
    let child = Command::new("python3")
        .arg(repo().join("tests/producers/fake_llm.py"))
        .arg(dir.join("truth.jsonl"))
        .arg(&port_file)
        .stdout(Stdio::null())
        .spawn()
        .expect("start the fake model server");
    let deadline = Instant::now() + Duration::from_secs(20);
    let port = loop {
        if let Ok(p) = std::fs::read_to_string(&port_file)
            && let Ok(p) = p.trim().parse::<u16>()
        {
            break p;
        }
        assert!(Instant::now() < deadline, "the fake server did not start");
        std::thread::sleep(Duration::from_millis(30));
    };
    wait_for_port(port, "the fake model server");
    (Reaped(child), format!("http://127.0.0.1:{port}"))
}

/// `import --listen` on a fresh store: one OTLP/HTTP only, one OTLP/gRPC.
struct Sink {
    child: Reaped,
    db: PathBuf,
    endpoint: String,
}

fn sink(dir: &Path, grpc: bool) -> Sink {
    let db = dir.join(if grpc { "grpc.db" } else { "http.db" });
    // Free ports can be taken by a parallel test between the look-up and the bind:
    // a receiver that exits at once is started again on others.
    let mut last_err = String::new();
    for _ in 0..5 {
        let (http_port, grpc_port) = (free_port(), free_port());
        let grpc_arg = if grpc {
            format!("127.0.0.1:{grpc_port}")
        } else {
            "off".to_owned()
        };
        let mut child = Command::new(env!("CARGO_BIN_EXE_agtrace"))
            .args(["import", "--listen", &format!("127.0.0.1:{http_port}")])
            .args(["--grpc-listen", &grpc_arg, "--db"])
            .arg(&db)
            .stderr(Stdio::piped())
            .spawn()
            .expect("import --listen");
        let port = if grpc { grpc_port } else { http_port };
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
                return Sink {
                    child: Reaped(child),
                    db,
                    endpoint: format!("http://127.0.0.1:{port}"),
                };
            }
            if let Ok(Some(_)) = child.try_wait() {
                last_err.clear();
                if let Some(mut e) = child.stderr.take() {
                    let _ = e.read_to_string(&mut last_err);
                }
                break;
            }
            assert!(Instant::now() < deadline, "import --listen did not start");
            std::thread::sleep(Duration::from_millis(30));
        }
    }
    panic!("import --listen did not start: {last_err}");
}

/// Stops a sink gracefully (SIGTERM: the last batch is stored) and returns its report.
fn stop(mut s: Sink) -> PathBuf {
    let _ = Command::new("kill")
        .args(["-TERM", &s.child.0.id().to_string()])
        .status();
    let status = s.child.0.wait().expect("wait for import --listen");
    let mut err = String::new();
    if let Some(mut e) = s.child.0.stderr.take() {
        let _ = e.read_to_string(&mut err);
    }
    assert!(status.success(), "import --listen failed: {err}");
    s.db.clone()
}

/// Ground truth of one scenario of one run.
#[derive(Debug, Default)]
struct Truth {
    calls: u64,
    failed_calls: u64,
    input: u64,
    output: u64,
    cache_read: u64,
    tools: Vec<(String, String)>,
    tool_errors: u64,
    run_failed: bool,
    /// Answers cut off at the token limit.
    cut_off: u64,
}

fn canonical(v: &Value) -> String {
    // serde_json's map keeps insertion order here (preserve_order): sort by hand.
    fn walk(v: &Value) -> Value {
        match v {
            Value::Object(m) => {
                let mut keys: Vec<&String> = m.keys().collect();
                keys.sort();
                let mut out = serde_json::Map::new();
                for k in keys {
                    out.insert(k.clone(), walk(&m[k]));
                }
                Value::Object(out)
            }
            Value::Array(a) => Value::Array(a.iter().map(walk).collect()),
            // Numbers compare by value (10 and 10.0 are the same argument).
            Value::Number(n) => n
                .as_f64()
                .map_or(v.clone(), |f| serde_json::json!(f.to_string())),
            other => other.clone(),
        }
    }
    walk(v).to_string()
}

fn read_lines(path: &Path) -> Vec<Value> {
    std::fs::read_to_string(path)
        .unwrap_or_default()
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| serde_json::from_str(l).expect("a ground-truth line"))
        .collect()
}

/// The ground truth of every scenario of `run`.
fn truth(dir: &Path, run: &Run) -> BTreeMap<String, Truth> {
    let mut out: BTreeMap<String, Truth> = BTreeMap::new();
    let from_server = run.emits.tools_from_server;
    let run = run.name;
    for e in read_lines(&dir.join("truth.jsonl")) {
        if e["run"] != run {
            continue;
        }
        let t = out
            .entry(e["scenario"].as_str().unwrap_or("").to_owned())
            .or_default();
        if let Some(results) = e["tool_results"].as_array() {
            if from_server {
                t.tool_errors += results.iter().filter(|r| r["is_error"] == true).count() as u64;
            }
            continue;
        }
        t.calls += 1;
        if from_server {
            for c in e["tool_calls"].as_array().into_iter().flatten() {
                t.tools
                    .push((c[0].as_str().unwrap_or("").to_owned(), canonical(&c[1])));
            }
        }
        if e["status"] != 200 {
            t.failed_calls += 1;
            continue;
        }
        t.input += e["input_tokens"].as_u64().unwrap_or(0);
        t.output += e["output_tokens"].as_u64().unwrap_or(0);
        t.cache_read += e["cache_read"].as_u64().unwrap_or(0);
        t.cut_off += u64::from(e["finish_reason"].as_str().is_some_and(|f| {
            f.eq_ignore_ascii_case("length") || f.eq_ignore_ascii_case("max_tokens")
        }));
    }
    for e in read_lines(&dir.join("tools.jsonl")) {
        if e["run"] != run {
            continue;
        }
        let t = out
            .entry(e["scenario"].as_str().unwrap_or("").to_owned())
            .or_default();
        if let Some(o) = e["outcome"].as_str() {
            t.run_failed |= o == "error";
            continue;
        }
        t.tools.push((
            e["tool"].as_str().unwrap_or("").to_owned(),
            canonical(&e["args"]),
        ));
        t.tool_errors += u64::from(!e["error"].is_null());
    }
    out
}

/// What agtrace reports for one scenario's trace.
#[derive(Debug, Default, PartialEq)]
struct Seen {
    status: String,
    llm_calls: u64,
    input: Option<u64>,
    output: Option<u64>,
    cache_read: Option<u64>,
    tools: Vec<(String, String)>,
    tool_errors: u64,
    session: Option<String>,
    findings: BTreeMap<String, u64>,
    /// Answered model calls without a time to first token.
    no_first_token: u64,
    /// What `content_missing` says, when it fires.
    content_missing: Option<String>,
    /// The first user message of the run's transcript.
    first_user_text: Option<String>,
    /// Every number `ls` prints, as it prints it.
    row: BTreeMap<String, String>,
}

/// A source: a path, or a file given on stdin.
#[derive(Clone, Copy)]
enum Src<'a> {
    Path(&'a Path),
    Stdin(&'a Path),
}

fn agtrace(src: Src<'_>, args: &[&str]) -> String {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_agtrace"));
    cmd.arg(args[0]);
    match src {
        Src::Path(p) => {
            cmd.arg(p);
        }
        Src::Stdin(_) => {
            cmd.arg("-");
        }
    }
    cmd.args(&args[1..])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = cmd.spawn().expect("run agtrace");
    let mut stdin = child.stdin.take().expect("stdin");
    if let Src::Stdin(p) = src {
        let bytes = std::fs::read(p).expect("the console file");
        std::thread::spawn(move || {
            let _ = stdin.write_all(&bytes);
        });
    } else {
        drop(stdin);
    }
    let out = child.wait_with_output().expect("agtrace output");
    assert!(
        out.status.success() || out.status.code() == Some(3),
        "agtrace {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn json_lines(s: &str) -> Vec<Value> {
    s.lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| serde_json::from_str(l).expect("a JSON line"))
        .collect()
}

/// What agtrace reports for every scenario of `run` read from `src`.
fn seen(src: Src<'_>, run: &str) -> BTreeMap<String, Seen> {
    let filter = format!("service:{run}");
    let rows = json_lines(&agtrace(src, &["ls", "--json", "--filter", &filter]));
    let mut out = BTreeMap::new();
    for r in rows {
        let id = r["trace_id"].as_str().expect("trace id");
        let spans = json_lines(&agtrace(src, &["show", id, "--json"]));
        // The driver's root span names the scenario; a producer that owns the root
        // (Claude Code's interaction) carries the prompt's tag in its attributes.
        let tagged = || {
            spans.iter().find(|sp| sp["depth"] == 0).and_then(|root| {
                let text = root["attributes"].to_string();
                let at = text.find("[scenario:")? + "[scenario:".len();
                let len = text[at..].find(']')?;
                Some(text[at..at + len].to_owned())
            })
        };
        let Some(scenario) = r["root_name"]
            .as_str()
            .and_then(|n| n.strip_prefix("scenario "))
            .map(str::to_owned)
            .or_else(tagged)
        else {
            continue;
        };
        let mut s = Seen {
            status: r["status"].as_str().unwrap_or("").to_owned(),
            llm_calls: r["llm_calls"].as_u64().unwrap_or(0),
            input: r["input_tokens"].as_u64(),
            output: r["output_tokens"].as_u64(),
            cache_read: r["cache_read_tokens"].as_u64(),
            session: r["session_id"].as_str().map(str::to_owned),
            ..Seen::default()
        };
        for k in [
            "span_count",
            "error_count",
            "warning_count",
            "tool_calls",
            "cost_usd",
        ] {
            s.row.insert(k.to_owned(), r[k].to_string());
        }
        s.content_missing = r["findings"]
            .as_array()
            .into_iter()
            .flatten()
            .find(|f| f["kind"] == "content_missing")
            .and_then(|f| f["message"].as_str().map(str::to_owned));
        for f in r["findings"].as_array().into_iter().flatten() {
            *s.findings
                .entry(f["kind"].as_str().unwrap_or("").to_owned())
                .or_default() += 1;
        }
        let mut tools: Vec<(u64, String, String)> = spans
            .iter()
            .filter(|sp| sp["kind"] == "tool" && sp["tool_name"].is_string())
            .map(|sp| {
                (
                    sp["start_unix_nano"].as_u64().unwrap_or(0),
                    sp["tool_name"].as_str().unwrap_or("").to_owned(),
                    canonical(&sp["tool_arguments"]),
                )
            })
            .collect();
        tools.sort();
        s.no_first_token = spans
            .iter()
            .filter(|sp| {
                sp["kind"] == "llm"
                    && sp["output_tokens"].is_u64()
                    && sp["time_to_first_token_ms"].is_null()
            })
            .count() as u64;
        s.first_user_text = json_lines(&agtrace(src, &["show", id, "--transcript", "--json"]))
            .iter()
            .find(|e| e["role"] == "user")
            .map(|e| e["parts"].to_string());
        // Failed tool steps, a failed phase of a call (Claude Code's execution) too.
        s.tool_errors = spans
            .iter()
            .filter(|sp| sp["kind"] == "tool" && sp["status"] == "error")
            .count() as u64;
        s.tools = tools.into_iter().map(|t| (t.1, t.2)).collect();
        out.insert(scenario, s);
    }
    out
}

/// Where `stats --by X` totals differ from the `ls` totals of the same source.
fn stats_disagree(src: Src<'_>) -> Vec<String> {
    let rows = json_lines(&agtrace(src, &["ls", "--json"]));
    let sum = |k: &str| rows.iter().map(|r| r[k].as_u64().unwrap_or(0)).sum::<u64>();
    let (input, output) = (sum("input_tokens"), sum("output_tokens"));
    let mut bad = Vec::new();
    for by in ["model", "kind", "name", "service", "session", "agent"] {
        let out = json_lines(&agtrace(src, &["stats", "--by", by, "--json"]));
        let Some(total) = out.iter().find(|r| r["total"] == true) else {
            bad.push(format!("stats --by {by}: no totals row"));
            continue;
        };
        let got = (
            total["input_tokens"].as_u64().unwrap_or(0),
            total["output_tokens"].as_u64().unwrap_or(0),
        );
        if got != (input, output) {
            bad.push(format!(
                "stats --by {by} totals {got:?} vs ls {:?}",
                (input, output)
            ));
        }
    }
    bad
}

/// Every way `seen` differs from the ground truth, in words.
fn compare(
    run: &Run,
    truth: &BTreeMap<String, Truth>,
    seen: &BTreeMap<String, Seen>,
) -> Vec<String> {
    let mut bad = Vec::new();
    for (scenario, t) in truth {
        let Some(s) = seen.get(scenario) else {
            bad.push(format!("{scenario}: no trace"));
            continue;
        };
        let mut check = |what: &str, ok: bool, detail: String| {
            if !ok {
                bad.push(format!("{scenario}: {what}: {detail}"));
            }
        };
        check(
            "LLM calls",
            s.llm_calls == t.calls,
            format!("{} vs {} made", s.llm_calls, t.calls),
        );
        let answered = t.calls > t.failed_calls;
        check(
            "input tokens",
            s.input == answered.then_some(t.input),
            format!("{:?} vs {}", s.input, t.input),
        );
        check(
            "output tokens",
            s.output == answered.then_some(t.output),
            format!("{:?} vs {}", s.output, t.output),
        );
        if run.emits.cache && t.cache_read > 0 {
            check(
                "cache-read tokens",
                s.cache_read == Some(t.cache_read),
                format!("{:?} vs {}", s.cache_read, t.cache_read),
            );
        }
        let failed = t.failed_calls > 0
            || (run.emits.run_errors && t.run_failed)
            || (run.emits.tool_errors && t.tool_errors > 0);
        check(
            "status",
            (s.status == "error") == failed,
            format!(
                "{} (a call failed: {}, the run failed: {})",
                s.status,
                t.failed_calls > 0,
                t.run_failed
            ),
        );
        if run.emits.tools {
            let names = |v: &[(String, String)]| v.iter().map(|x| x.0.clone()).collect::<Vec<_>>();
            let same = if run.emits.args {
                s.tools == t.tools
            } else {
                names(&s.tools) == names(&t.tools)
            };
            check(
                "tool calls",
                same,
                format!("{:?} vs {:?}", s.tools, t.tools),
            );
            check(
                "ls tool calls",
                s.row.get("tool_calls").map(String::as_str) == Some(&t.tools.len().to_string()),
                format!("{:?} vs {}", s.row.get("tool_calls"), t.tools.len()),
            );
        }
        if run.emits.tool_errors {
            check(
                "failed tools",
                s.tool_errors == t.tool_errors,
                format!("{} vs {}", s.tool_errors, t.tool_errors),
            );
        }
        if run.emits.sessions {
            let want = format!("sess-{}-{scenario}", run.name);
            check(
                "session",
                s.session.as_deref() == Some(&want),
                format!("{:?} vs {want}", s.session),
            );
        }
        if run.emits.ttft {
            check(
                "time to first token",
                s.no_first_token == 0,
                format!("{} answered calls without one", s.no_first_token),
            );
        }
        if run.emits.prompt {
            check(
                "content_missing's reason",
                !s.content_missing
                    .as_deref()
                    .is_some_and(|m| m.contains("capture is off")),
                format!("{:?} although the prompt is recorded", s.content_missing),
            );
            let tag = format!("[scenario:{scenario}]");
            check(
                "the user's prompt",
                s.first_user_text
                    .as_deref()
                    .is_some_and(|t| t.contains(&tag)),
                format!("{:?}", s.first_user_text),
            );
        }
        let count = |k: &str| s.findings.get(k).copied().unwrap_or(0);
        // What each scenario must be found to be, and nothing it is not.
        let cut: [(&str, u64); 1] = [("truncated", t.cut_off)];
        let want: &[(&str, u64)] = match scenario.as_str() {
            "length" if run.emits.finish => &cut,
            "loop" if run.emits.tools => &[("loop", 1)],
            "empty" | "ccempty" if run.emits.tools => {
                &[("empty_result", 1), ("continued_after_failure", 1)]
            }
            _ => &[],
        };
        for (k, n) in want {
            check(
                k,
                count(k) == *n,
                format!("{} found, {n} expected", count(k)),
            );
        }
        for k in ["loop", "truncated", "empty_result", "runaway", "slow"] {
            if !want.iter().any(|(w, _)| w == &k) {
                check(
                    k,
                    count(k) == 0,
                    format!("{} found on a run without one", count(k)),
                );
            }
        }
        // One failed call, one origin, however many spans record it.
        if scenario == "error" {
            check(
                "failure_origin",
                count("failure_origin") == t.failed_calls,
                format!(
                    "{} origins for {} failed calls",
                    count("failure_origin"),
                    t.failed_calls
                ),
            );
        }
        if matches!(scenario.as_str(), "raise" | "ccfail") && run.emits.tool_errors {
            check(
                "failure_origin",
                count("failure_origin") >= 1,
                "the failed tool is not an origin".into(),
            );
        }
    }
    bad
}

/// The pinned version of a run's library, from its family's lock.
fn version_of(run: &Run) -> String {
    let dir = repo().join("tests/producers");
    let lock = std::fs::read_to_string(dir.join(format!("requirements-{}.txt", run.family)))
        .unwrap_or_default();
    if let Some(v) = lock
        .lines()
        .find_map(|l| l.strip_prefix(&format!("{}==", run.library)))
    {
        return v.trim().to_owned();
    }
    let pkg: Value = std::fs::read_to_string(dir.join(run.family).join("package.json"))
        .ok()
        .and_then(|t| serde_json::from_str(&t).ok())
        .unwrap_or(Value::Null);
    pkg["dependencies"][run.library]
        .as_str()
        .unwrap_or("?")
        .to_owned()
}

/// What agtrace reads from a run's spans and checks against the ground truth.
fn reads(run: &Run) -> String {
    let e = run.emits;
    let mut what = vec!["LLM calls, tokens, status"];
    for (on, label) in [
        (e.cache, "cache reads"),
        (e.finish, "finish reasons"),
        (e.tools && e.args, "tool calls with arguments, results"),
        (
            e.tools && !e.args,
            "tool calls (a shell call's command), results",
        ),
        (e.tool_errors, "failed tools"),
        (e.sessions, "session"),
        (e.ttft, "time to first token"),
        (e.prompt, "the user's prompt"),
    ] {
        if on {
            what.push(label);
        }
    }
    what.join(", ")
}

/// One family: its runs, each read four ways, compared; the report lines.
fn family(name: &str) -> Vec<String> {
    let Some(runner) = runner(name) else {
        common::skipped(&format!(
            "producer conformance for the {name} libraries: target/producers/{name} is not installed (.ci/run installs it with tests/producers/install.sh)"
        ));
        return Vec::new();
    };
    let dir = tempfile::tempdir().expect("tempdir");
    let (_fake, fake_url) = fake_server(dir.path());
    let http = sink(dir.path(), false);
    let grpc = sink(dir.path(), true);
    let runs: Vec<&Run> = RUNS.iter().filter(|r| r.family == name).collect();
    let mut consoles = Vec::new();
    for run in &runs {
        let console = dir.path().join(format!("{}.console", run.name));
        let mut cmd = match &runner {
            Runner::Python(py) => Command::new(py),
            // A Python driver of a Node producer (Claude Code) needs only the stdlib.
            Runner::Node(modules) => {
                let mut c = Command::new(if run.script.ends_with(".py") {
                    "python3"
                } else {
                    "node"
                });
                c.env("AGTRACE_NODE_MODULES", modules);
                c
            }
        };
        let out = cmd
            .arg(repo().join("tests/producers").join(run.script))
            .args(run.args)
            .current_dir(repo().join("tests/producers"))
            .env("FAKE_LLM_URL", &fake_url)
            .env("AGTRACE_RUN", run.name)
            .env("AGTRACE_OTLP_HTTP", &http.endpoint)
            .env("AGTRACE_OTLP_GRPC", &grpc.endpoint)
            .env("AGTRACE_CONSOLE_FILE", &console)
            .env("AGTRACE_TOOLS_LOG", dir.path().join("tools.jsonl"))
            .env("OTEL_BSP_SCHEDULE_DELAY", "200")
            .envs(run.env.iter().copied())
            .output()
            .expect("run the driver");
        assert!(
            out.status.success(),
            "{} failed: {}",
            run.name,
            String::from_utf8_lossy(&out.stderr)
        );
        consoles.push(console);
    }
    let http_db = stop(http);
    let grpc_db = stop(grpc);
    let mut failures = Vec::new();
    let mut report = Vec::new();
    for (run, console) in runs.iter().zip(&consoles) {
        let truth = truth(dir.path(), run);
        let paths: [(&str, Src<'_>); 4] = [
            ("otlp-http", Src::Path(&http_db)),
            ("otlp-grpc", Src::Path(&grpc_db)),
            ("file", Src::Path(console)),
            ("stdin", Src::Stdin(console)),
        ];
        let mut first: Option<BTreeMap<String, Seen>> = None;
        let mut cells = Vec::new();
        for (path, src) in paths {
            if !run.paths.contains(&path) {
                cells.push("-".to_owned());
                continue;
            }
            let s = seen(src, run.name);
            let mut bad = compare(run, &truth, &s);
            if let Some(f) = &first {
                for (scenario, a) in f {
                    if s.get(scenario) != Some(a) {
                        bad.push(format!(
                            "{scenario}: differs from otlp-http: {:?} vs {a:?}",
                            s.get(scenario)
                        ));
                    }
                }
            } else {
                first = Some(s);
            }
            if matches!(path, "otlp-http" | "file") || run.paths.len() == 1 {
                bad.extend(
                    stats_disagree(src)
                        .into_iter()
                        .map(|b| format!("whole input: {b}")),
                );
            }
            cells.push(bad.len().to_string());
            for b in bad {
                failures.push(format!("{} via {path}: {b}", run.name));
            }
        }
        report.push(format!(
            "| {} | {} {} | {} | {} |",
            run.name,
            run.library,
            version_of(run),
            cells.join(" | "),
            reads(run)
        ));
    }
    if let Ok(p) = std::env::var("AGTRACE_PRODUCERS_REPORT") {
        let mut f = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(p)
            .expect("report file");
        for l in &report {
            let _ = writeln!(f, "{l}");
        }
    }
    assert!(
        failures.is_empty(),
        "{} mismatches with the ground truth:\n{}",
        failures.len(),
        failures.join("\n")
    );
    report
}

#[test]
fn opentelemetry_openai_v2_tells_the_truth() {
    family("otel");
}

#[test]
fn openinference_tells_the_truth() {
    family("openinference");
}

#[test]
fn pydantic_ai_tells_the_truth() {
    family("pydantic-ai");
}

#[test]
fn traceloop_tells_the_truth() {
    family("traceloop");
}

#[test]
fn vercel_ai_sdk_6_tells_the_truth() {
    family("vercel-ai-6");
}

#[test]
fn vercel_ai_sdk_7_tells_the_truth() {
    family("vercel-ai-7");
}

#[test]
fn google_adk_tells_the_truth() {
    family("google-adk");
}

#[test]
fn claude_code_tells_the_truth() {
    family("claude-code");
}

#[test]
fn strands_tells_the_truth() {
    family("strands");
}
