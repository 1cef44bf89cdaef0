//! Streams: every fixture decoded from a stream cut into small pieces gives the same
//! model as the file read whole; a followed file is read as it grows, across a
//! rotation and a truncation; and stdin piped into `ls --follow` prints traces
//! before the pipe closes.

mod common;
use agtrace::live::{Received, Sink, Stats};
use agtrace::model::TraceSet;
use agtrace::source::LoadOptions;
use agtrace::source::stream::StreamDecoder;
use std::io::{BufRead as _, Write as _};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// `bytes` pushed `chunk` bytes at a time (idle after each when `quiet`), then ended.
fn streamed(bytes: &[u8], chunk: usize, quiet: bool) -> TraceSet {
    let mut d = StreamDecoder::new("<stdin>", 0, &LoadOptions::with_threads(1));
    let mut batches = Vec::new();
    for piece in bytes.chunks(chunk) {
        for x in d.push(piece).expect("push") {
            batches.extend(x.batches);
        }
        if quiet {
            for x in d.idle().expect("idle") {
                batches.extend(x.batches);
            }
        }
    }
    for x in d.finish().expect("finish") {
        batches.extend(x.batches);
    }
    let mut set = TraceSet::build(batches, vec!["<stdin>".into()], Vec::new());
    set.warn_unattached_logs();
    set
}

/// Debug-exporter text pushed one export at a time, quiet after each.
fn exports_with_quiet(bytes: &[u8]) -> TraceSet {
    let text = String::from_utf8_lossy(bytes);
    let mut d = StreamDecoder::new("<stdin>", 0, &LoadOptions::with_threads(1));
    let mut batches = Vec::new();
    let mut export = String::new();
    let mut flush = |export: &mut String, d: &mut StreamDecoder| {
        for x in d.push(export.as_bytes()).expect("push") {
            batches.extend(x.batches);
        }
        for x in d.idle().expect("idle") {
            batches.extend(x.batches);
        }
        export.clear();
    };
    for line in text.split_inclusive('\n') {
        if line.contains("ResourceSpans #0") && !export.is_empty() {
            flush(&mut export, &mut d);
        }
        export.push_str(line);
    }
    flush(&mut export, &mut d);
    for x in d.finish().expect("finish") {
        batches.extend(x.batches);
    }
    TraceSet::build(batches, vec!["<stdin>".into()], Vec::new())
}

/// The canonical model without the warnings' wording (a stream names its pieces).
fn model(set: &TraceSet) -> String {
    common::canonical(set)
}

#[test]
fn every_fixture_streamed_in_pieces_is_the_model_of_the_file() {
    let shapes = [
        "agent-incident.otlp.json",
        "findings.otlp.json",
        "triage.otlp.json",
        "folder/traces-2025-11-21T03.jsonl",
        "shapes/collector.jsonl",
        "shapes/concatenated.json",
        "shapes/python-console.json",
        "shapes/agent-incident.debug.txt",
        "shapes/agent-incident.node-console.txt",
        "shapes/agent-incident.pbstream",
        "shapes/agent-incident.pbdelim",
        "shapes/agent-incident.pb",
        "shapes/array.json",
        "shapes/traces-and-logs.json",
        "shapes/agent-incident.jaeger.json",
        "shapes/zipkin-minimal.json",
    ];
    for rel in shapes {
        let path = common::fixture(rel);
        let bytes = std::fs::read(&path).expect("fixture");
        let whole = common::load_ok(&[rel]);
        assert!(!whole.spans.is_empty(), "{rel}");
        for (chunk, quiet) in [
            (13, false),
            (4096, false),
            (700, true),
            (bytes.len(), false),
        ] {
            let got = streamed(&bytes, chunk, quiet);
            assert_eq!(
                model(&got),
                model(&whole),
                "{rel} streamed {chunk} bytes at a time (idle flushes: {quiet})"
            );
        }
    }
}

/// A followed file meets its end wherever the writer's last write stopped, and a
/// collector can pause inside an export: a block decoded at a quiet spell is decoded
/// again once it is complete, and the later copy replaces the first.
#[test]
fn debug_text_quiet_inside_a_block_loses_nothing() {
    let rel = "shapes/agent-incident.debug.txt";
    let bytes = std::fs::read(common::fixture(rel)).expect("fixture");
    let whole = common::load_ok(&[rel]);
    let want = model(&whole);
    assert_eq!(
        whole.integrity.duplicates, 0,
        "the fixture has no duplicates"
    );
    for chunk in [1, 7, 64, 333, 2048] {
        assert_eq!(
            model(&streamed(&bytes, chunk, true)),
            want,
            "{rel} streamed {chunk} bytes at a time, quiet after each"
        );
    }
    // Quiet after every export too, as `kubectl logs -f` shows them.
    assert_eq!(model(&exports_with_quiet(&bytes)), want);
}

#[test]
fn a_stream_that_is_not_traces_says_what_it_is() {
    let mut d = StreamDecoder::new("<stdin>", 0, &LoadOptions::with_threads(1));
    let csv = b"id,name,price\n1,apple,0.5\n2,pear,0.7\n";
    assert!(d.push(csv).expect("waits").is_empty());
    let e = d.finish().expect_err("not traces");
    assert!(e.to_string().contains("<stdin>"), "{e}");
}

/// A sink collecting what arrives; stops the feed once `stop` is set.
fn collecting() -> (Sink, Arc<Mutex<Vec<Received>>>, Arc<AtomicBool>) {
    let got = Arc::new(Mutex::new(Vec::new()));
    let stop = Arc::new(AtomicBool::new(false));
    let sink: Sink = {
        let (got, stop) = (got.clone(), stop.clone());
        Arc::new(move |r: Received| {
            if stop.load(Ordering::Relaxed) {
                return false;
            }
            if !r.is_empty()
                && let Ok(mut g) = got.lock()
            {
                g.push(r);
            }
            true
        })
    };
    (sink, got, stop)
}

fn trace_ids(got: &Mutex<Vec<Received>>) -> std::collections::BTreeSet<String> {
    let g = got.lock().expect("lock");
    g.iter()
        .flat_map(|r| r.batch.spans.iter().map(|s| s.trace_id.to_string()))
        .collect()
}

fn wait_until(what: &str, mut ok: impl FnMut() -> bool) {
    let start = Instant::now();
    while !ok() {
        assert!(
            start.elapsed() < Duration::from_secs(20),
            "timed out waiting for {what}"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

fn lines_of(rel: &str) -> Vec<String> {
    std::fs::read_to_string(common::fixture(rel))
        .expect("fixture")
        .lines()
        .map(|l| format!("{l}\n"))
        .collect()
}

fn ids_in(lines: &[String]) -> std::collections::BTreeSet<String> {
    let mut out = std::collections::BTreeSet::new();
    for l in lines {
        let v: serde_json::Value = serde_json::from_str(l).expect("json line");
        for rs in v["resourceSpans"].as_array().into_iter().flatten() {
            for ss in rs["scopeSpans"].as_array().into_iter().flatten() {
                for s in ss["spans"].as_array().into_iter().flatten() {
                    out.insert(s["traceId"].as_str().unwrap_or("").to_ascii_lowercase());
                }
            }
        }
    }
    out
}

#[test]
fn follow_reads_growth_then_a_rotation_then_a_truncation() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("traces.jsonl");
    let a = lines_of("folder/traces-2025-11-21T03.jsonl");
    let b = lines_of("folder/traces-2025-11-21T04.jsonl");
    let (sink, got, stop) = collecting();
    let stats = Arc::new(Stats::default());
    // Started before the file exists: it waits for it.
    agtrace::live::feed::follow(&path, &LoadOptions::with_threads(1), sink, stats.clone())
        .expect("follow");
    std::thread::sleep(Duration::from_millis(300));
    assert!(stats.notice().contains("waiting for"), "{}", stats.notice());

    // Growth: the first line, then the rest, then half a line that completes later.
    let mut f = std::fs::File::create(&path).expect("create");
    f.write_all(a[0].as_bytes()).expect("write");
    f.flush().expect("flush");
    wait_until("the first line", || trace_ids(&got) == ids_in(&a[..1]));
    for l in &a[1..] {
        f.write_all(l.as_bytes()).expect("write");
    }
    let (head, tail) = b[0].split_at(b[0].len() / 2);
    f.write_all(head.as_bytes()).expect("write");
    f.flush().expect("flush");
    wait_until("the whole first file", || trace_ids(&got) == ids_in(&a));
    f.write_all(tail.as_bytes()).expect("write");
    f.flush().expect("flush");
    wait_until("the line completed later", || {
        trace_ids(&got) == ids_in(&a).union(&ids_in(&b[..1])).cloned().collect()
    });

    // Rotation as the file exporter does it: the file is renamed with a timestamp
    // suffix and a new file starts under the name.
    drop(f);
    std::fs::rename(
        &path,
        dir.path().join("traces-2026-12-02T10-00-00.000.jsonl"),
    )
    .expect("rename");
    let rotated = format!(
        "{{\"resourceSpans\":[{{\"scopeSpans\":[{{\"spans\":[{{\"traceId\":\"{:032x}\",\"spanId\":\"{:016x}\",\"name\":\"after-rotation\",\"startTimeUnixNano\":\"1\",\"endTimeUnixNano\":\"2\"}}]}}]}}]}}\n",
        0xabcdu128, 1
    );
    std::fs::write(&path, &rotated).expect("new file");
    wait_until("the rotated file's span", || {
        trace_ids(&got).contains(&format!("{:032x}", 0xabcdu128))
    });
    assert!(stats.notice().contains("rotated"), "{}", stats.notice());

    // Rewritten in place, longer than before (not only truncated): the first bytes
    // differ, so it is read again from the start.
    let rewritten = rotated
        .replace("abcd", "ef01")
        .replace("after-rotation", "after-a-rewrite-in-place");
    std::fs::write(&path, &rewritten).expect("rewrite");
    wait_until("the rewritten file read again", || {
        trace_ids(&got).contains(&format!("{:032x}", 0xef01u128))
    });
    assert!(stats.notice().contains("rewritten"), "{}", stats.notice());
    assert!(stats.restarts.load(Ordering::Relaxed) >= 2);
    stop.store(true, Ordering::Relaxed);
}

#[test]
fn ls_follow_prints_traces_from_a_pipe_that_stays_open() {
    let bin = assert_cmd::cargo::cargo_bin("agtrace");
    let mut child = std::process::Command::new(bin)
        .args(["ls", "--follow", "--json", "--settle", "300ms", "-"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("spawn");
    let mut stdin = child.stdin.take().expect("stdin");
    let lines = lines_of("folder/traces-2025-11-21T03.jsonl");
    for l in &lines {
        stdin.write_all(l.as_bytes()).expect("write");
    }
    stdin.flush().expect("flush");
    let mut out = std::io::BufReader::new(child.stdout.take().expect("stdout"));
    let want = ids_in(&lines);
    let mut seen = std::collections::BTreeSet::new();
    // The pipe is still open: rows must come anyway.
    while seen != want {
        let mut row = String::new();
        assert!(out.read_line(&mut row).expect("read") > 0, "ls ended early");
        let v: serde_json::Value = serde_json::from_str(&row).expect("json row");
        seen.insert(v["trace_id"].as_str().expect("trace_id").to_owned());
    }
    drop(stdin);
    let status = child.wait().expect("wait");
    assert!(status.success());
}

#[test]
fn import_reads_a_pipe_piece_by_piece_into_a_store() {
    let dir = tempfile::tempdir().expect("tempdir");
    let db = dir.path().join("s.db");
    let bin = assert_cmd::cargo::cargo_bin("agtrace");
    let mut child = std::process::Command::new(&bin)
        .args(["import", "-", "--db", db.to_str().expect("path")])
        .stdin(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("spawn");
    let mut stdin = child.stdin.take().expect("stdin");
    let mut want = std::collections::BTreeSet::new();
    for rel in [
        "folder/traces-2025-11-21T03.jsonl",
        "folder/traces-2025-11-21T04.jsonl",
    ] {
        let lines = lines_of(rel);
        want.extend(ids_in(&lines));
        for l in lines {
            stdin.write_all(l.as_bytes()).expect("write");
        }
    }
    drop(stdin);
    let out = child.wait_with_output().expect("wait");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let ls = std::process::Command::new(&bin)
        .args(["ls", "--json", db.to_str().expect("path")])
        .output()
        .expect("ls");
    let got: std::collections::BTreeSet<String> = String::from_utf8_lossy(&ls.stdout)
        .lines()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .filter_map(|v| v["trace_id"].as_str().map(str::to_owned))
        .collect();
    assert_eq!(got, want);
}
