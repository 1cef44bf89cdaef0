//! `agtrace export` round-trips: every fixture (and every file of
//! `../shared/realdata/` that loads) written in each OTLP format and loaded again is
//! the same model; the protobuf decodes with the reference `opentelemetry-proto`
//! types, and the JSON follows the OTLP JSON mapping.

mod common;
use agtrace::export::{self, ExportFormat};
use agtrace::model::{Marks, TraceSet};
use agtrace::source::{Input, LoadOptions, load};
use prost::Message as _;

const FORMATS: [(ExportFormat, &str); 3] = [
    (ExportFormat::OtlpJson, "json"),
    (ExportFormat::OtlpJsonl, "jsonl"),
    (ExportFormat::OtlpProto, "pb"),
];

fn all_spans(set: &TraceSet) -> Vec<u32> {
    let traces: Vec<u32> = (0..set.traces.len() as u32).collect();
    export::select(set, &traces, None)
}

fn exported(set: &TraceSet, format: ExportFormat) -> Vec<u8> {
    let mut out = Vec::new();
    export::write(&mut out, set, &all_spans(set), format, None, &mut |_| {}).expect("write");
    out
}

fn reload(bytes: &[u8], ext: &str) -> TraceSet {
    let dir = tempfile::tempdir().expect("tempdir");
    let p = dir.path().join(format!("export.{ext}"));
    std::fs::write(&p, bytes).expect("write");
    load(&[Input::Path(p)], &LoadOptions::with_threads(2)).expect("the export loads")
}

/// The canonical form without what an export cannot carry: that copies of a span
/// were merged (the export holds the merged span once).
fn canonical(set: &TraceSet) -> String {
    let dup = format!("marks={}", Marks::DUPLICATE);
    common::canonical(set)
        .lines()
        .map(|l| {
            // Span lines end with their marks; trace lines carry the integrity counts.
            let l = match l.rfind("marks=") {
                Some(at) if l.starts_with("span ") => {
                    let m: u8 = l[at + 6..].parse().unwrap_or(0);
                    format!("{}marks={}", &l[..at], m & !Marks::DUPLICATE)
                }
                _ => l.to_owned(),
            };
            let l = if l == dup { String::new() } else { l };
            strip_duplicates(&l)
        })
        .collect::<Vec<_>>()
        .join("\n")
}

fn strip_duplicates(l: &str) -> String {
    match l.find("duplicates: ") {
        Some(at) => {
            let rest = &l[at + 12..];
            let end = rest
                .find(|c: char| !c.is_ascii_digit())
                .unwrap_or(rest.len());
            format!("{}duplicates: 0{}", &l[..at], &rest[end..])
        }
        None => l.to_owned(),
    }
}

fn fixtures() -> Vec<String> {
    let mut out = Vec::new();
    for dir in ["", "shapes", "folder"] {
        let Ok(rd) = std::fs::read_dir(common::fixture(dir)) else {
            continue;
        };
        for e in rd.flatten() {
            let p = e.path();
            let name = p.file_name().and_then(|n| n.to_str()).unwrap_or("");
            if p.is_file() && !name.ends_with(".py") {
                out.push(if dir.is_empty() {
                    name.to_owned()
                } else {
                    format!("{dir}/{name}")
                });
            }
        }
    }
    out.sort();
    out
}

fn round_trips(label: &str, set: TraceSet) {
    if set.spans.is_empty() {
        return;
    }
    let before = canonical(&set);
    for (format, ext) in FORMATS {
        let bytes = exported(&set, format);
        let again = reload(&bytes, ext);
        let after = canonical(&again);
        if before != after {
            let first = before
                .lines()
                .zip(after.lines())
                .find(|(a, b)| a != b)
                .map(|(a, b)| format!("before: {a}\nafter:  {b}"))
                .unwrap_or_else(|| "one is longer".into());
            panic!("{label} as {ext}: the model changed\n{first}");
        }
    }
}

#[test]
fn every_fixture_round_trips_in_every_format() {
    let mut n = 0;
    for f in fixtures() {
        let Ok(set) = common::try_load(&[&f]) else {
            continue;
        };
        round_trips(&f, set);
        n += 1;
    }
    assert!(n >= 25, "{n} fixtures");
    // A store's traces too.
    round_trips("stores/v3.db", common::load_ok(&["stores/v3.db"]));
}

#[test]
fn every_real_dump_that_loads_round_trips() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/realdata");
    let Ok(rd) = std::fs::read_dir(&dir) else {
        common::skipped("../shared/realdata is not present");
        return;
    };
    let mut n = 0;
    for e in rd.flatten() {
        let p = e.path();
        if p.extension().is_some_and(|x| x == "md") {
            continue;
        }
        let Ok(set) = load(&[Input::Path(p.clone())], &LoadOptions::with_threads(2)) else {
            continue;
        };
        round_trips(&p.display().to_string(), set);
        n += 1;
    }
    assert!(n > 0);
}

#[test]
fn the_protobuf_export_decodes_with_the_reference_types() {
    use opentelemetry_proto::tonic::trace::v1::TracesData;
    let set = common::load_ok(&["agent-incident.otlp.json"]);
    let bytes = exported(&set, ExportFormat::OtlpProto);
    let data = TracesData::decode(bytes.as_slice()).expect("a TracesData message");
    let spans: usize = data
        .resource_spans
        .iter()
        .flat_map(|r| &r.scope_spans)
        .map(|s| s.spans.len())
        .sum();
    assert_eq!(spans, set.spans.len());
    let first = &data.resource_spans[0].scope_spans[0].spans[0];
    assert_eq!(first.trace_id.len(), 16);
    assert_eq!(first.span_id.len(), 8);
}

#[test]
fn the_json_export_follows_the_otlp_json_mapping() {
    let set = common::load_ok(&["shapes/anyvalues.json"]);
    let bytes = exported(&set, ExportFormat::OtlpJson);
    let v: serde_json::Value = serde_json::from_slice(&bytes).expect("one JSON document");
    let is_hex = |s: &str, n: usize| {
        s.len() == n
            && s.bytes()
                .all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase())
    };
    let mut seen_int = false;
    fn walk(v: &serde_json::Value, f: &mut dyn FnMut(&str, &serde_json::Value)) {
        match v {
            serde_json::Value::Object(o) => {
                for (k, x) in o {
                    f(k, x);
                    walk(x, f);
                }
            }
            serde_json::Value::Array(a) => a.iter().for_each(|x| walk(x, f)),
            _ => {}
        }
    }
    walk(&v, &mut |k, x| match k {
        "traceId" => assert!(is_hex(x.as_str().expect("string"), 32), "{x}"),
        "spanId" | "parentSpanId" => assert!(is_hex(x.as_str().expect("string"), 16), "{x}"),
        "startTimeUnixNano" | "endTimeUnixNano" | "timeUnixNano" => {
            assert!(x.as_str().expect("a string").parse::<u64>().is_ok(), "{x}")
        }
        "intValue" => {
            seen_int = true;
            assert!(
                x.as_str()
                    .expect("int64 as a string")
                    .parse::<i64>()
                    .is_ok()
            );
        }
        "kind" => assert!(x.as_u64().is_some_and(|k| k <= 5)),
        "trace_id" | "span_id" | "start_time_unix_nano" | "resource_spans" => {
            panic!("snake_case field {k} in OTLP/JSON")
        }
        _ => {}
    });
    assert!(seen_int);
    assert!(v["resourceSpans"].is_array());
}

#[test]
fn a_span_filter_keeps_the_matching_spans_and_their_ancestors() {
    let set = common::load_ok(&["agent-incident.otlp.json"]);
    let f = agtrace::query::filter::Filter::parse("status:error kind:tool").expect("filter");
    let traces: Vec<u32> = (0..set.traces.len() as u32).collect();
    let spans = export::select(&set, &traces, Some(&f));
    assert!(!spans.is_empty());
    let m = f.matcher(&set);
    for &i in &spans {
        let s = &set.spans[i as usize];
        // Each kept span matches, or is an ancestor of one that does.
        let matches_below = spans.iter().any(|&j| {
            let mut at = j;
            while at != agtrace::model::NONE {
                if at == i {
                    return m.span_matches(j);
                }
                at = set.spans[at as usize].parent;
            }
            false
        });
        assert!(m.span_matches(i) || matches_below, "{}", set.str(s.name));
    }
    let again = reload(
        &{
            let mut out = Vec::new();
            export::write(
                &mut out,
                &set,
                &spans,
                ExportFormat::OtlpJson,
                None,
                &mut |_| {},
            )
            .expect("write");
            out
        },
        "json",
    );
    assert_eq!(again.spans.len(), spans.len());
    assert_eq!(again.integrity.orphans, 0, "ancestors kept: no orphans");
}

#[test]
fn the_cli_picks_the_format_refuses_to_overwrite_an_input_and_says_what_it_wrote() {
    let bin = env!("CARGO_BIN_EXE_agtrace");
    let dir = tempfile::tempdir().expect("tempdir");
    let src = dir.path().join("in.json");
    std::fs::copy(common::fixture("agent-incident.otlp.json"), &src).expect("copy");
    let before = std::fs::read(&src).expect("read");
    let s = src.to_str().expect("path");
    // -o naming the input: refused, the input untouched.
    let out = std::process::Command::new(bin)
        .args(["export", s, "--all", "-o", s])
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("never writes to the files it reads"));
    assert_eq!(std::fs::read(&src).expect("read"), before);
    // The extension picks the encoding; the note names what was written.
    for (name, check) in [
        ("slice.pb", b"\x0a".as_slice()),
        ("slice.jsonl", b"{\"resourceSpans\"".as_slice()),
    ] {
        let o = dir.path().join(name);
        let out = std::process::Command::new(bin)
            .args([
                "export",
                s,
                "--trace",
                "0af7",
                "-o",
                o.to_str().expect("path"),
            ])
            .output()
            .expect("run");
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(String::from_utf8_lossy(&out.stderr).contains("exported 5 spans of 1 trace as"));
        assert!(
            std::fs::read(&o).expect("written").starts_with(check),
            "{name}"
        );
    }
    // Nothing selected: exit 3, nothing written.
    let o = dir.path().join("none.json");
    let out = std::process::Command::new(bin)
        .args([
            "export",
            s,
            "--filter",
            "tool:no_such_tool",
            "-o",
            o.to_str().expect("path"),
        ])
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(3));
    assert!(!o.exists());
    // No selection at all: a usage error.
    let out = std::process::Command::new(bin)
        .args(["export", s])
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(2));
    // export | ls - : the pipe reads back.
    let exported = std::process::Command::new(bin)
        .args([
            "export",
            s,
            "--session",
            "conv-8812",
            "--format",
            "otlp-proto",
        ])
        .output()
        .expect("run");
    let mut ls = std::process::Command::new(bin)
        .args(["ls", "-", "--json"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .expect("ls");
    use std::io::Write as _;
    ls.stdin
        .take()
        .expect("stdin")
        .write_all(&exported.stdout)
        .expect("pipe");
    let listed = ls.wait_with_output().expect("ls output");
    assert_eq!(
        String::from_utf8_lossy(&listed.stdout).lines().count(),
        2,
        "conv-8812 has two turns"
    );
}

/// Hostile text (escape sequences, C1 controls, bidi overrides, invisible characters)
/// leaves an export only as `\u` escapes: a terminal or viewer that prints the file
/// cannot be steered by it, and the values still round-trip.
#[test]
fn json_exports_carry_hostile_text_only_as_escapes() {
    let set = common::load_ok(&["hostile.json", "secrets.otlp.json"]);
    for format in [ExportFormat::OtlpJson, ExportFormat::OtlpJsonl] {
        let bytes = exported(&set, format);
        let text = std::str::from_utf8(&bytes).expect("UTF-8");
        let raw: Vec<char> = text
            .chars()
            .filter(|&c| c != '\n' && agtrace::sanitize::is_dangerous(c))
            .collect();
        assert!(raw.is_empty(), "{format:?} holds raw {raw:?}");
        assert!(
            text.contains("\\u001b") && text.contains("\\u202e"),
            "escaped"
        );
        for line in text.lines().filter(|l| !l.is_empty()) {
            if format == ExportFormat::OtlpJsonl {
                serde_json::from_str::<serde_json::Value>(line).expect("one document a line");
            }
        }
        let ext = if format == ExportFormat::OtlpJson {
            "json"
        } else {
            "jsonl"
        };
        assert_eq!(
            canonical(&reload(&bytes, ext)),
            canonical(&set),
            "{format:?}"
        );
    }
}

/// `export -o` never replaces what is not a regular file: a FIFO is written to (a
/// reader gets the export) and stays a FIFO; a symbolic link stays a link and the file
/// it names gets the export; `/dev/full` fails with the device's error and stays a
/// device.
#[cfg(unix)]
#[test]
fn an_output_that_is_not_a_regular_file_is_written_to_not_replaced() {
    use std::os::unix::fs::FileTypeExt as _;
    let dir = tempfile::tempdir().expect("tempdir");
    let input = common::fixture("agent-incident.otlp.json");
    let export_to = |out: &std::path::Path| {
        std::process::Command::new(assert_cmd::cargo::cargo_bin("agtrace"))
            .args([
                "export",
                input.to_str().expect("path"),
                "--all",
                "--format",
                "otlp-jsonl",
                "-o",
                out.to_str().expect("path"),
            ])
            .output()
            .expect("run")
    };
    // A FIFO with a reader on the other end.
    let fifo = dir.path().join("pipe");
    let made = std::process::Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .expect("mkfifo");
    assert!(made.success());
    let reader = {
        let fifo = fifo.clone();
        std::thread::spawn(move || std::fs::read(&fifo).expect("read the fifo"))
    };
    let r = export_to(&fifo);
    assert!(r.status.success(), "{}", String::from_utf8_lossy(&r.stderr));
    let got = reader.join().expect("reader");
    assert!(
        got.starts_with(b"{\"resourceSpans\""),
        "the reader got the export"
    );
    assert!(
        std::fs::symlink_metadata(&fifo)
            .expect("meta")
            .file_type()
            .is_fifo()
    );
    // A symbolic link to a file.
    let real = dir.path().join("real.jsonl");
    std::fs::write(&real, "old").expect("write");
    let link = dir.path().join("link.jsonl");
    std::os::unix::fs::symlink(&real, &link).expect("symlink");
    let r = export_to(&link);
    assert!(r.status.success(), "{}", String::from_utf8_lossy(&r.stderr));
    assert!(
        std::fs::symlink_metadata(&link)
            .expect("meta")
            .file_type()
            .is_symlink()
    );
    assert!(
        std::fs::read(&real)
            .expect("read")
            .starts_with(b"{\"resourceSpans\"")
    );
    // A full device: the error, and the device still a device.
    let full = std::path::Path::new("/dev/full");
    if full.exists() && std::fs::OpenOptions::new().write(true).open(full).is_ok() {
        let r = export_to(full);
        assert!(!r.status.success(), "writing to /dev/full must fail");
        let err = String::from_utf8_lossy(&r.stderr);
        assert!(err.contains("/dev/full"), "{err}");
        assert!(
            std::fs::metadata(full)
                .expect("meta")
                .file_type()
                .is_char_device()
        );
    }
}
