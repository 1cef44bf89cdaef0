//! Trace backend benchmark: a real ClickHouse engine (chDB behind
//! `tests/clickhouse_http.py`, the exporter's schema) holding `--traces` generated
//! agent runs of `--spans` spans (1,000,000 spans by default) plus one run of
//! `--big` spans, inserted through the exporter's row mapping. Timed end to end, as
//! the user runs them (median of `--runs`): `agtrace ls` of one session, and `agtrace
//! show` of the big trace by id. Baseline in the same invocation: the same SQL
//! agtrace sent, posted straight to the adapter (the engine's time plus the HTTP
//! hop), so the ratio is what agtrace adds.
//!
//! `cargo bench --bench backend -- [--traces N] [--spans N] [--big N] [--runs N]`
//! (needs target/pyvenv with chdb, as `.ci/run` creates it).

use std::io::{BufRead, BufReader, Read, Write};
use std::process::{Command, Stdio};
use std::time::Instant;

fn arg(args: &[String], name: &str, default: usize) -> usize {
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1))
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(|a, b| a.total_cmp(b));
    v[v.len() / 2]
}

/// Posts one query to the adapter; returns the seconds it took.
fn post(port: u16, query: &str, params: &[(String, String)]) -> f64 {
    let mut path = "/?default_format=JSONEachRow&database=otel".to_owned();
    for (k, v) in params {
        path.push_str(&format!(
            "&param_{k}={}",
            percent_encoding::utf8_percent_encode(v, percent_encoding::NON_ALPHANUMERIC)
        ));
    }
    let t = Instant::now();
    let mut s = std::net::TcpStream::connect(("127.0.0.1", port)).expect("connect");
    write!(
        s,
        "POST {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\nContent-Length: {}\r\n\r\n{query}",
        query.len()
    )
    .expect("write");
    let mut out = Vec::new();
    s.read_to_end(&mut out).expect("read");
    assert!(
        out.starts_with(b"HTTP/1.0 200") || out.starts_with(b"HTTP/1.1 200"),
        "{}",
        String::from_utf8_lossy(&out[..out.len().min(300)])
    );
    t.elapsed().as_secs_f64()
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let traces = arg(&args, "--traces", 100_000);
    let spans = arg(&args, "--spans", 10);
    let big = arg(&args, "--big", 10_000);
    let runs = arg(&args, "--runs", 5);
    let dir = env!("CARGO_MANIFEST_DIR");
    let py = format!("{dir}/target/pyvenv/bin/python");
    if !std::path::Path::new(&py).exists() {
        println!("skipped: target/pyvenv (with chdb) is missing; .ci/run creates it");
        return;
    }
    let total = traces * spans + big;
    println!(
        "agtrace backend benchmark: ClickHouse (chDB) with {total} spans: {traces} runs of {spans} and one of {big}; median of {runs}"
    );
    let started = Instant::now();
    let mut child = Command::new(&py)
        .arg(format!("{dir}/tests/clickhouse_http.py"))
        .args(["--schema", &format!("{dir}/tests/clickhouse/schema.sql")])
        .args([
            "--generate",
            &traces.to_string(),
            "--spans",
            &spans.to_string(),
        ])
        .args(["--big", &big.to_string()])
        .stdout(Stdio::piped())
        .spawn()
        .expect("start the adapter");
    let mut line = String::new();
    BufReader::new(child.stdout.take().expect("stdout"))
        .read_line(&mut line)
        .expect("READY");
    let port: u16 = line
        .strip_prefix("READY ")
        .and_then(|p| p.trim().parse().ok())
        .expect("port");
    println!(
        "  loaded through the exporter's row mapping in {:.1}s",
        started.elapsed().as_secs_f64()
    );
    let bin = format!("{dir}/target/release/agtrace");
    if !std::path::Path::new(&bin).exists() {
        let _ = child.kill();
        let _ = child.wait();
        println!("skipped: build the release binary first (cargo build --release)");
        return;
    }
    let url = format!("clickhouse://127.0.0.1:{port}/otel");
    let time_cmd = |a: &[&str]| -> f64 {
        let t = Instant::now();
        let out = Command::new(&bin).args(a).output().expect("agtrace");
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        t.elapsed().as_secs_f64()
    };
    let session = "conv-4242";
    let ls = median(
        (0..runs)
            .map(|_| {
                time_cmd(&[
                    "ls",
                    &url,
                    "--from",
                    "2025-11-20",
                    "--session",
                    session,
                    "--json",
                ])
            })
            .collect(),
    );
    let big_id = format!("b16{}", "0".repeat(29));
    let show = median(
        (0..runs)
            .map(|_| time_cmd(&["show", &url, &big_id]))
            .collect(),
    );
    // Baselines: the SQL agtrace sends, straight to the adapter.
    let b = agtrace::backend::Backend::parse(&url).expect("url");
    let q = agtrace::backend::Query {
        session: Some(session.into()),
        from: agtrace::backend::parse_time("2025-11-20"),
        ..Default::default()
    };
    let list = agtrace::backend::clickhouse::list_sql(&b, &q);
    let list_base = median(
        (0..runs)
            .map(|_| post(port, &list.text, &list.params))
            .collect(),
    );
    let spans_sql =
        agtrace::backend::clickhouse::spans_sql(&b, std::slice::from_ref(&big_id), true, true);
    let show_base = median(
        (0..runs)
            .map(|_| post(port, &spans_sql.text, &spans_sql.params))
            .collect(),
    );
    println!(
        "  ls --session (4 traces)         {:>7.1} ms   the listing SQL alone {:>7.1} ms (agtrace also fetches the spans and derives)   budget 300 ms",
        ls * 1e3,
        list_base * 1e3
    );
    println!(
        "  show of the {big}-span trace     {:>7.1} ms   its spans SQL alone {:>7.1} ms = {:.2}x   budget 1000 ms",
        show * 1e3,
        show_base * 1e3,
        show / show_base
    );
    let _ = child.kill();
    let _ = child.wait();
}
