//! What a 200 from `import --listen` means: the request is in the store. Senders
//! record every acknowledgement; the receiver is killed with SIGKILL mid-stream,
//! kept from its store by another writer, and starved of disk — and every
//! acknowledged trace is found in the store afterwards.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}

/// `import --listen` on a free port into `db`, run through `bash -c` so that a test
/// can set limits first (`prefix`); returns the child and its HTTP port.
fn start(db: &std::path::Path, prefix: &str) -> (Child, u16) {
    let port = free_port();
    let cmd = format!(
        "{prefix} exec '{}' import --listen 127.0.0.1:{port} --grpc-listen off --db '{}'",
        env!("CARGO_BIN_EXE_agtrace"),
        db.display()
    );
    let child = Command::new("bash")
        .args(["-c", &cmd])
        .stderr(Stdio::piped())
        .spawn()
        .expect("import --listen");
    let deadline = Instant::now() + Duration::from_secs(20);
    while TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(Instant::now() < deadline, "the receiver did not start");
        std::thread::sleep(Duration::from_millis(50));
    }
    (child, port)
}

/// One OTLP/JSON request: trace `n` with three spans and some text.
fn trace_body(n: u64) -> String {
    let t = format!("{:032x}", n + 1);
    let span = |k: u64, parent: &str, name: &str| {
        serde_json::json!({
            "traceId": t, "spanId": format!("{:016x}", (n + 1) * 16 + k), "parentSpanId": parent,
            "name": name, "kind": 1,
            "startTimeUnixNano": (1_763_000_000_000_000_000u64 + n * 1_000_000 + k).to_string(),
            "endTimeUnixNano": (1_763_000_000_500_000_000u64 + n * 1_000_000 + k).to_string(),
            "attributes": [
                {"key": "gen_ai.operation.name", "value": {"stringValue": "chat"}},
                {"key": "note", "value": {"stringValue": "x".repeat(400)}}
            ]
        })
    };
    let root = format!("{:016x}", (n + 1) * 16);
    serde_json::json!({"resourceSpans": [{"resource": {"attributes": [
    {"key": "service.name", "value": {"stringValue": "durable"}}]},
    "scopeSpans": [{"scope": {"name": "t"}, "spans": [
        span(0, "", "invoke_agent a"), span(1, &root, "chat m"), span(2, &root, "execute_tool t")
    ]}]}]})
    .to_string()
}

/// Posts trace `n`; the HTTP status, or `None` when there was no answer.
fn post(port: u16, n: u64) -> Option<u16> {
    let body = trace_body(n);
    let mut s = TcpStream::connect(("127.0.0.1", port)).ok()?;
    s.set_read_timeout(Some(Duration::from_secs(30))).ok()?;
    let head = format!(
        "POST /v1/traces HTTP/1.1\r\nHost: x\r\nConnection: close\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n",
        body.len()
    );
    s.write_all(head.as_bytes()).ok()?;
    s.write_all(body.as_bytes()).ok()?;
    let mut raw = Vec::new();
    let _ = s.read_to_end(&mut raw);
    let text = String::from_utf8_lossy(&raw);
    text.split_whitespace().nth(1)?.parse().ok()
}

/// Senders on `threads` threads posting traces (each its own numbers) until `stop`;
/// the numbers answered 200, and how many were answered otherwise.
fn send_until(port: u16, threads: u64, stop: Arc<AtomicBool>) -> (Vec<u64>, usize) {
    let acked = Arc::new(Mutex::new(Vec::new()));
    let other = Arc::new(Mutex::new(0usize));
    let handles: Vec<_> = (0..threads)
        .map(|k| {
            let (acked, other, stop) = (acked.clone(), other.clone(), stop.clone());
            std::thread::spawn(move || {
                let mut n = k;
                while !stop.load(Ordering::Relaxed) {
                    match post(port, n) {
                        Some(200) => acked.lock().expect("lock").push(n),
                        _ => *other.lock().expect("lock") += 1,
                    }
                    n += threads;
                }
            })
        })
        .collect();
    for h in handles {
        h.join().expect("sender");
    }
    let acked = acked.lock().expect("lock").clone();
    let other = *other.lock().expect("lock");
    (acked, other)
}

/// The trace ids in the store.
fn stored(db: &std::path::Path) -> std::collections::HashSet<String> {
    let out = Command::new(env!("CARGO_BIN_EXE_agtrace"))
        .args(["ls", db.to_str().expect("path"), "--json"])
        .output()
        .expect("ls");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| {
            let v: serde_json::Value = serde_json::from_str(l).expect("json");
            v["trace_id"].as_str().expect("trace_id").to_owned()
        })
        .collect()
}

fn missing(acked: &[u64], stored: &std::collections::HashSet<String>) -> Vec<u64> {
    acked
        .iter()
        .copied()
        .filter(|n| !stored.contains(&format!("{:032x}", n + 1)))
        .collect()
}

fn stderr_of(mut child: Child) -> String {
    let mut err = String::new();
    if let Some(mut e) = child.stderr.take() {
        let _ = e.read_to_string(&mut err);
    }
    let _ = child.wait();
    err
}

/// SIGKILL while eight senders post: every request answered 200 is in the store.
#[test]
fn a_kill_9_loses_nothing_that_was_acknowledged() {
    for round in 0..3 {
        let dir = tempfile::tempdir().expect("tempdir");
        let db = dir.path().join("live.db");
        let (mut child, port) = start(&db, "");
        let stop = Arc::new(AtomicBool::new(false));
        let senders = {
            let stop = stop.clone();
            std::thread::spawn(move || send_until(port, 8, stop))
        };
        std::thread::sleep(Duration::from_millis(1500 + 400 * round));
        child.kill().expect("SIGKILL");
        let _ = child.wait();
        stop.store(true, Ordering::Relaxed);
        let (acked, _) = senders.join().expect("senders");
        assert!(
            acked.len() > 20,
            "round {round}: only {} acknowledged",
            acked.len()
        );
        let lost = missing(&acked, &stored(&db));
        assert!(
            lost.is_empty(),
            "round {round}: {} of {} acknowledged traces are not in the store (such as {:?})",
            lost.len(),
            acked.len(),
            &lost[..lost.len().min(5)]
        );
    }
}

/// Another process holds the store's write lock for longer than a writer waits:
/// requests meanwhile are answered 503 (retry), the endpoint stays up, and once the
/// lock is gone requests are stored again. Nothing answered 200 is missing.
#[test]
fn a_store_held_by_another_writer_gets_503_and_the_endpoint_stays_up() {
    let dir = tempfile::tempdir().expect("tempdir");
    let db = dir.path().join("live.db");
    let (child, port) = start(&db, "");
    assert_eq!(post(port, 0), Some(200), "before the lock");
    let lock = rusqlite::Connection::open(&db).expect("open the store");
    lock.execute_batch("BEGIN IMMEDIATE")
        .expect("take the write lock");
    let started = Instant::now();
    let held = post(port, 1);
    assert_eq!(held, Some(503), "while another writer holds the store");
    assert!(
        started.elapsed() >= Duration::from_secs(5),
        "refused only after waiting for the lock"
    );
    lock.execute_batch("ROLLBACK").expect("release");
    drop(lock);
    assert_eq!(post(port, 2), Some(200), "after the lock");
    let _ = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status();
    let err = stderr_of(child);
    assert!(err.contains("answered 503"), "{err}");
    let ids = stored(&db);
    assert!(missing(&[0, 2], &ids).is_empty(), "{ids:?}");
    assert!(
        !ids.contains(&format!("{:032x}", 2)),
        "the refused trace was not stored"
    );
}

/// A full disk (a file size limit the receiver cannot write past): requests are
/// answered 503 once the store cannot grow, the receiver keeps answering, and every
/// request answered 200 is in the store.
#[test]
fn a_full_disk_refuses_with_503_and_keeps_what_it_acknowledged() {
    let dir = tempfile::tempdir().expect("tempdir");
    let db = dir.path().join("live.db");
    // 1 MiB per file; SIGXFSZ ignored so that writes fail instead of killing.
    let (child, port) = start(&db, "ulimit -f 1024; trap '' XFSZ;");
    let stop = Arc::new(AtomicBool::new(false));
    let senders = {
        let stop = stop.clone();
        std::thread::spawn(move || send_until(port, 4, stop))
    };
    // This thread posts too, until the store is full and a refusal comes back.
    let mut mine = Vec::new();
    let deadline = std::time::Instant::now() + Duration::from_secs(120);
    let mut n = 1_000_000;
    let refused = loop {
        match post(port, n) {
            Some(200) => mine.push(n),
            Some(503) => break true,
            other => panic!("trace {n}: {other:?}"),
        }
        if std::time::Instant::now() > deadline {
            break false;
        }
        n += 1;
    };
    // A moment of refusals for the senders too.
    std::thread::sleep(Duration::from_secs(1));
    stop.store(true, Ordering::Relaxed);
    let (mut acked, _) = senders.join().expect("senders");
    acked.extend(mine);
    assert!(
        refused,
        "no request was refused ({} acknowledged)",
        acked.len()
    );
    // Still answering: a refusal, not silence.
    assert_eq!(post(port, 2_000_000), Some(503));
    let _ = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status();
    let err = stderr_of(child);
    assert!(err.contains("answered 503"), "{err}");
    let lost = missing(&acked, &stored(&db));
    assert!(
        lost.is_empty(),
        "{} of {} acknowledged traces are not in the store: {err}",
        lost.len(),
        acked.len()
    );
}

/// Resident memory of a process, from /proc (Linux), in bytes.
fn rss(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let kb: u64 = status
        .lines()
        .find(|l| l.starts_with("VmRSS:"))?
        .split_whitespace()
        .nth(1)?
        .parse()
        .ok()?;
    Some(kb * 1024)
}

/// Forty connections each sending 31 MiB of a body they never finish: the receiver
/// reads at most its in-flight budget (512 MiB) of them and refuses the rest
/// before reading, so its resident memory stays under 700 MB (it held 1.29 GB).
#[test]
fn forty_slow_large_bodies_stay_within_the_memory_bound() {
    if rss(std::process::id()).is_none() {
        eprintln!("SKIPPED: /proc is not there to measure resident memory");
        return;
    }
    let dir = tempfile::tempdir().expect("tempdir");
    let db = dir.path().join("live.db");
    let (child, port) = start(&db, "");
    let length = 31 << 20;
    let chunk = vec![b' '; 1 << 20];
    let senders: Vec<_> = (0..40)
        .map(|_| {
            let chunk = chunk.clone();
            std::thread::spawn(move || {
                let Ok(mut s) = TcpStream::connect(("127.0.0.1", port)) else {
                    return None;
                };
                // A refused request's body is not read: its writes give up.
                s.set_write_timeout(Some(Duration::from_secs(10))).ok()?;
                let head = format!(
                    "POST /v1/traces HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: {length}\r\n\r\n"
                );
                s.write_all(head.as_bytes()).ok()?;
                // All but the last byte, then hold the connection open.
                for _ in 0..30 {
                    s.write_all(&chunk).ok()?;
                }
                s.write_all(&chunk[..(1 << 20) - 1]).ok()?;
                Some(s)
            })
        })
        .collect();
    std::thread::sleep(Duration::from_secs(8));
    let peak = rss(child.id()).expect("the receiver's memory");
    let held: Vec<_> = senders
        .into_iter()
        .filter_map(|h| h.join().ok().flatten())
        .collect();
    let _ = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status();
    drop(held);
    let _ = stderr_of(child);
    eprintln!(
        "the receiver's resident memory with 40 slow bodies: {} MB",
        peak >> 20
    );
    assert!(
        peak < 700 << 20,
        "the receiver holds {} MB with 40 slow 31 MiB bodies",
        peak >> 20
    );
}
