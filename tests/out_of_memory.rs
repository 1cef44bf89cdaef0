//! Running out of memory stops with a message (how many spans were read, what ran
//! out, what to try) and exit status 5 — never an abort. The limit is a `ulimit -v`
//! set by `bash` before agtrace starts, on a dump that loads fine without it.

use std::io::Write as _;
use std::process::Command;

/// A JSON Lines dump of `traces` traces of 10 spans, each with a few hundred bytes
/// of text, in `dir`.
fn dump(dir: &std::path::Path, traces: u64) -> std::path::PathBuf {
    let path = dir.join("big.jsonl");
    let mut f = std::io::BufWriter::new(std::fs::File::create(&path).expect("create"));
    for t in 0..traces {
        let spans: Vec<serde_json::Value> = (0..10u64)
            .map(|k| {
                serde_json::json!({
                    "traceId": format!("{:032x}", t + 1),
                    "spanId": format!("{:016x}", (t + 1) * 16 + k),
                    "parentSpanId": if k == 0 { String::new() } else { format!("{:016x}", (t + 1) * 16) },
                    "name": format!("step {k}"),
                    "startTimeUnixNano": (1_763_000_000_000_000_000u64 + t * 1000 + k).to_string(),
                    "endTimeUnixNano": (1_763_000_000_500_000_000u64 + t * 1000 + k).to_string(),
                    "attributes": [
                        {"key": "gen_ai.operation.name", "value": {"stringValue": "chat"}},
                        {"key": "note", "value": {"stringValue": format!("{t} {k} {}", "words ".repeat(60))}}
                    ]
                })
            })
            .collect();
        let line = serde_json::json!({"resourceSpans": [{"resource": {"attributes": [
            {"key": "service.name", "value": {"stringValue": "oom"}}]},
            "scopeSpans": [{"scope": {"name": "t"}, "spans": spans}]}]});
        writeln!(f, "{line}").expect("write");
    }
    f.flush().expect("flush");
    path
}

fn ls_under(limit_kb: Option<u64>, file: &std::path::Path) -> std::process::Output {
    let prefix = limit_kb.map_or(String::new(), |kb| format!("ulimit -v {kb};"));
    let cmd = format!(
        "{prefix} exec '{}' ls '{}' --limit 1",
        env!("CARGO_BIN_EXE_agtrace"),
        file.display()
    );
    Command::new("bash")
        .args(["-c", &cmd])
        .output()
        .expect("bash runs")
}

#[test]
fn running_out_of_memory_says_how_far_it_got_and_what_to_try() {
    let dir = tempfile::tempdir().expect("tempdir");
    let file = dump(dir.path(), 8_000);
    let free = ls_under(None, &file);
    assert!(
        free.status.success(),
        "{}",
        String::from_utf8_lossy(&free.stderr)
    );
    let out = ls_under(Some(100_000), &file);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(5), "{err}");
    assert!(err.starts_with("agtrace: out of memory: "), "{err}");
    assert!(err.contains("spans were read"), "{err}");
    assert!(err.contains("ulimit -v"), "{err}");
    assert!(err.contains("split -l"), "{err}");
    assert!(
        !err.contains("memory allocation of"),
        "not Rust's abort: {err}"
    );
}
