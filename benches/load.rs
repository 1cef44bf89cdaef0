//! Load benchmark: generates synthetic agent dumps (once, into `bench-data/`), then
//! times `agtrace ls FILE --limit 1` (load to a ready model, then print one row) for
//! each encoding, next to baselines run in the same invocation on the same file:
//! `jq '.resourceSpans|length'`, a plain `serde_json::Value` parse, and serde_json
//! skipping every value (the floor). Reports median wall time, spans/s, MB/s and
//! peak memory (the child's own `VmHWM`, or `/usr/bin/time` for jq).
//!
//! The other formats (Jaeger and Zipkin JSON, the collector's debug-exporter text)
//! are written from the same runs; JSON ones get the serde_json baselines, the text
//! one a read-and-count-lines floor.
//!
//! With `--baseline REV` (a git revision; `--baseline-bin PATH` for a binary already
//! built) the same `ls` is also run with that build, taking turns with today's on
//! the same file, and the report gives today/baseline ratios of time and of peak
//! memory per span: a figure from another hour is no comparison on a shared machine.
//! The baseline is built once into `target/baseline/REV/` and reused.
//!
//! `cargo bench --bench load -- [--traces N] [--spans-per-trace N] [--runs N]
//! [--formats json,jsonl,proto,proto-stream,jaeger,zipkin,debug] [--no-jq]
//! [--baseline REV | --baseline-bin PATH]`

#[path = "support/gen.rs"]
mod generator;

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Instant;

struct Run {
    seconds: f64,
    peak_kb: Option<u64>,
    ok: bool,
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(|a, b| a.total_cmp(b));
    v[v.len() / 2]
}

fn time_cmd(cmd: &mut Command, peak_from_stats: bool) -> Run {
    let use_time = !peak_from_stats && Path::new("/usr/bin/time").exists();
    let mut c = if use_time {
        let mut t = Command::new("/usr/bin/time");
        t.arg("-f").arg("AGTRACE_BENCH_PEAK=%M");
        t.arg(cmd.get_program());
        t.args(cmd.get_args());
        t
    } else {
        let mut c = Command::new(cmd.get_program());
        c.args(cmd.get_args());
        c
    };
    c.env("AGTRACE_STATS", "1")
        .stdout(Stdio::null())
        .stderr(Stdio::piped());
    let start = Instant::now();
    let out = c.output().expect("run child");
    let seconds = start.elapsed().as_secs_f64();
    let err = String::from_utf8_lossy(&out.stderr);
    let peak_kb = err
        .split_whitespace()
        .find_map(|w| {
            w.strip_prefix("peak_rss_kb=")
                .or_else(|| w.strip_prefix("AGTRACE_BENCH_PEAK="))
        })
        .and_then(|v| v.parse().ok());
    let ok = out.status.success();
    if !ok {
        eprintln!("  (command failed: {:?}: {})", cmd, err.trim());
    }
    Run {
        seconds,
        peak_kb,
        ok,
    }
}

fn measure(
    label: &str,
    file: &Path,
    spans: usize,
    runs: usize,
    mut make: impl FnMut() -> Command,
    stats: bool,
) -> f64 {
    let mut times = Vec::new();
    let mut peak = 0u64;
    for _ in 0..runs {
        let r = time_cmd(&mut make(), stats);
        times.push(r.seconds);
        peak = peak.max(r.peak_kb.unwrap_or(0));
    }
    let med = median(times.clone());
    let min = times.iter().copied().fold(f64::MAX, f64::min);
    let mb = std::fs::metadata(file).map(|m| m.len()).unwrap_or(0) as f64 / 1e6;
    let peak_mb = peak as f64 * 1024.0 / 1e6;
    println!(
        "  {label:<28} median {med:>6.3}s  min {min:>6.3}s  {:>9.0} spans/s  {:>7.1} MB/s  peak {:>7.1} MB ({:.2}x file)",
        spans as f64 / med,
        mb / med,
        peak_mb,
        peak_mb / mb.max(1e-9)
    );
    med
}

/// The baseline binary for git revision `rev`: built once into
/// `target/baseline/REV/agtrace` from a detached worktree, then reused.
fn baseline_binary(rev: &str) -> PathBuf {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let safe: String = rev
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '.' || c == '-' {
                c
            } else {
                '_'
            }
        })
        .collect();
    let out = root.join("target").join("baseline").join(&safe);
    let bin = out.join("agtrace");
    if bin.exists() {
        return bin;
    }
    std::fs::create_dir_all(&out).expect("baseline dir");
    let tree = std::env::temp_dir().join(format!("agtrace-baseline-{safe}"));
    let _ = std::fs::remove_dir_all(&tree);
    let ok = Command::new("git")
        .arg("-C")
        .arg(&root)
        .args(["worktree", "add", "--detach"])
        .arg(&tree)
        .arg(rev)
        .status()
        .is_ok_and(|s| s.success());
    assert!(ok, "git worktree add {rev} failed");
    println!(
        "building the baseline {rev} (once; kept in {})",
        out.display()
    );
    let built = Command::new("cargo")
        .args(["build", "--release", "--bin", "agtrace", "--manifest-path"])
        .arg(tree.join("Cargo.toml"))
        .arg("--target-dir")
        .arg(root.join("target").join("baseline-build"))
        .status()
        .is_ok_and(|s| s.success());
    let _ = Command::new("git")
        .arg("-C")
        .arg(&root)
        .args(["worktree", "remove", "--force"])
        .arg(&tree)
        .status();
    assert!(built, "building the baseline {rev} failed");
    std::fs::copy(root.join("target/baseline-build/release/agtrace"), &bin)
        .expect("copy the baseline binary");
    bin
}

/// Today's `ls` and the baseline's on `file`, taking turns `runs` times: medians,
/// peak memory per span, and today/baseline ratios.
fn measure_against(file: &Path, spans: usize, runs: usize, ours: &Path, base: &Path) {
    let mut t = (Vec::new(), Vec::new());
    let mut peak = (0u64, 0u64);
    for turn in 0..runs {
        for (bin, times, p) in [(ours, &mut t.0, &mut peak.0), (base, &mut t.1, &mut peak.1)] {
            let mut c = Command::new(bin);
            c.arg("ls").arg(file).arg("--limit").arg("1");
            let r = time_cmd(&mut c, true);
            if !r.ok && turn == 0 && bin == base {
                println!("  same run: the baseline cannot read this file (a format it predates)");
                return;
            }
            times.push(r.seconds);
            *p = (*p).max(r.peak_kb.unwrap_or(0));
        }
    }
    let (a, b) = (median(t.0), median(t.1));
    let per_span = |kb: u64| kb as f64 * 1024.0 / spans.max(1) as f64;
    println!(
        "  same run, taking turns ({runs}x): today {a:.3}s, baseline {b:.3}s, ratio {:.2}; peak/span today {:.0} B, baseline {:.0} B, ratio {:.2}",
        a / b,
        per_span(peak.0),
        per_span(peak.1),
        peak.0 as f64 / peak.1.max(1) as f64
    );
}

/// Child mode: parse a file with serde_json as the baselines do, then exit.
fn child(mode: &str, path: &str) {
    let buf = std::fs::read(path).expect("read");
    if mode == "count-lines" {
        report_peak(buf.iter().filter(|&&b| b == b'\n').count());
        return;
    }
    let jsonl = mode.ends_with("-lines");
    let docs: Vec<&[u8]> = if jsonl {
        buf.split(|&b| b == b'\n')
            .filter(|l| !l.is_empty())
            .collect()
    } else {
        vec![&buf[..]]
    };
    let mut n = 0usize;
    for d in docs {
        if mode.starts_with("value") {
            let v: serde_json::Value = serde_json::from_slice(d).expect("json");
            n += v
                .get("resourceSpans")
                .and_then(|r| r.as_array())
                .map_or(0, |a| a.len());
        } else {
            let _: serde::de::IgnoredAny = serde_json::from_slice(d).expect("json");
            n += 1;
        }
    }
    report_peak(n);
}

/// Prints the child's peak memory (`VmHWM`) and what it counted, for the parent.
fn report_peak(items: usize) {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let hwm = status
        .lines()
        .find(|l| l.starts_with("VmHWM:"))
        .and_then(|l| l.split_whitespace().nth(1))
        .unwrap_or("0");
    eprintln!("peak_rss_kb={hwm} items={items}");
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if let Some(i) = args.iter().position(|a| a == "--child") {
        child(&args[i + 1], &args[i + 2]);
        return;
    }
    let mut traces = 10_000usize;
    let mut per = 21usize;
    let mut runs = 5usize;
    let mut formats = vec![
        "json",
        "jsonl",
        "proto",
        "proto-stream",
        "jaeger",
        "zipkin",
        "debug",
    ];
    let mut jq = true;
    let mut baseline: Option<PathBuf> = None;
    let mut it = args.iter().skip(1);
    while let Some(a) = it.next() {
        match a.as_str() {
            "--traces" => traces = it.next().and_then(|v| v.parse().ok()).unwrap_or(traces),
            "--spans-per-trace" => per = it.next().and_then(|v| v.parse().ok()).unwrap_or(per),
            "--runs" => runs = it.next().and_then(|v| v.parse().ok()).unwrap_or(runs),
            "--formats" => {
                let v: &'static str =
                    Box::leak(it.next().cloned().unwrap_or_default().into_boxed_str());
                formats = v.split(',').collect();
            }
            "--no-jq" => jq = false,
            "--baseline" => baseline = it.next().map(|r| baseline_binary(r)),
            "--baseline-bin" => baseline = it.next().map(PathBuf::from),
            _ => {} // cargo's own flags (--bench)
        }
    }
    let bin = env!("CARGO_BIN_EXE_agtrace");
    let me = std::env::current_exe().expect("current exe");
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("bench-data");
    std::fs::create_dir_all(&dir).expect("bench-data dir");
    let spans = traces * per;
    let mut data = None;
    println!(
        "agtrace load benchmark: {traces} traces x {per} spans = {spans} spans, {runs} runs each"
    );
    for fmt in formats {
        let Some(enc) = generator::Encoding::parse(fmt) else {
            eprintln!("unknown format {fmt}");
            continue;
        };
        let file = dir.join(format!("agents-{traces}x{per}.{fmt}"));
        if !file.exists() {
            let rs = data.get_or_insert_with(|| generator::build(traces, per, 42));
            let mut w = std::io::BufWriter::new(std::fs::File::create(&file).expect("create"));
            generator::write(&mut w, rs, enc).expect("write");
        }
        let mb = std::fs::metadata(&file).map(|m| m.len()).unwrap_or(0) as f64 / 1e6;
        println!("\n{} ({mb:.1} MB)", file.display());
        let f = file.clone();
        let ours = measure(
            "agtrace ls --limit 1",
            &file,
            spans,
            runs,
            || {
                let mut c = Command::new(bin);
                c.arg("ls").arg(&f).arg("--limit").arg("1");
                c
            },
            true,
        );
        if let Some(base) = &baseline {
            measure_against(&file, spans, runs, Path::new(bin), base);
        }
        if fmt == "debug" {
            let floor = measure(
                "read + count lines (floor)",
                &file,
                spans,
                runs.min(3),
                || {
                    let mut c = Command::new(&me);
                    c.arg("--child").arg("count-lines").arg(&f);
                    c
                },
                true,
            );
            println!("  ratios: agtrace/floor {:.2}", ours / floor);
        }
        if fmt.starts_with("json") || fmt == "jaeger" || fmt == "zipkin" {
            let lines = if fmt == "jsonl" { "-lines" } else { "" };
            let value = measure(
                "serde_json::Value parse",
                &file,
                spans,
                runs.min(3),
                || {
                    let mut c = Command::new(&me);
                    c.arg("--child").arg(format!("value{lines}")).arg(&f);
                    c
                },
                true,
            );
            let skip = measure(
                "serde_json skip (floor)",
                &file,
                spans,
                runs.min(3),
                || {
                    let mut c = Command::new(&me);
                    c.arg("--child").arg(format!("skip{lines}")).arg(&f);
                    c
                },
                true,
            );
            let mut jq_time = None;
            if jq && Command::new("jq").arg("--version").output().is_ok() {
                jq_time = Some(measure(
                    "jq '.resourceSpans|length'",
                    &file,
                    spans,
                    1,
                    || {
                        let mut c = Command::new("jq");
                        c.arg(".resourceSpans|length").arg(&f);
                        c
                    },
                    false,
                ));
            }
            print!(
                "  ratios: agtrace/Value {:.2}  agtrace/floor {:.2}",
                ours / value,
                ours / skip
            );
            if let Some(j) = jq_time {
                print!("  agtrace/jq {:.3}", ours / j);
            }
            println!();
        }
    }
}
