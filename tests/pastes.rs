//! Trace text as people paste it: with terminal colour codes, a shell prompt or the
//! command line before it, `…` where a doc elided lines, `// …` comments in Node
//! console objects, and a collector that logs as JSON (`encoding: json`: the debug
//! exporter's text inside each line's `msg`). Each is made here from a clean fixture
//! and must load to the same spans as the fixture, with a note saying what was undone.

mod common;
use agtrace::source::{Input, LoadOptions};

fn load(dir: &std::path::Path, name: &str, bytes: &[u8]) -> agtrace::model::TraceSet {
    let path = dir.join(name);
    std::fs::write(&path, bytes).expect("write");
    agtrace::input::load(&[Input::Path(path)], &LoadOptions::with_threads(1))
        .unwrap_or_else(|e| panic!("{name}: {e}"))
}

fn notes(set: &agtrace::model::TraceSet) -> String {
    set.warnings
        .iter()
        .map(|w| w.message.clone())
        .collect::<Vec<_>>()
        .join("\n")
}

#[test]
fn debug_text_pasted_with_noise_loads_as_the_clean_text() {
    let dir = tempfile::tempdir().expect("tempdir");
    let clean =
        std::fs::read_to_string(common::fixture("shapes/agent-incident.debug.txt")).expect("read");
    let want = common::canonical(&common::load_ok(&["shapes/agent-incident.debug.txt"]));
    // Colours on every attribute line, as a terminal with colour logging shows them.
    let coloured: String = clean
        .lines()
        .map(|l| {
            if l.trim_start().starts_with("->") {
                format!("\x1b[32m{l}\x1b[0m\n")
            } else {
                format!("{l}\n")
            }
        })
        .collect();
    let set = load(dir.path(), "coloured.txt", coloured.as_bytes());
    assert_eq!(common::canonical(&set), want, "colours");
    assert!(notes(&set).contains("colour codes"), "{}", notes(&set));
    // The command line before it.
    let prompted =
        format!("$ kubectl logs deploy/otel-collector | grep -A400 ResourceSpans\n{clean}");
    let set = load(dir.path(), "prompted.txt", prompted.as_bytes());
    assert_eq!(common::canonical(&set), want, "prompt");
    // A collector logging as JSON: the exporter's summary line, then each block's
    // text in a `msg`, newlines escaped.
    let mut lines = vec![serde_json::json!({"level": "info", "ts": 1.73e9, "msg": "TracesExporter", "kind": "exporter", "data_type": "traces", "resource spans": 1}).to_string()];
    for (k, block) in clean.split("\nResourceSpans #").enumerate() {
        let msg = if k == 0 {
            block.to_owned()
        } else {
            format!("ResourceSpans #{block}")
        };
        lines.push(
            serde_json::json!({"level": "info", "ts": 1.73e9, "msg": msg, "kind": "exporter"})
                .to_string(),
        );
    }
    let set = load(
        dir.path(),
        "json-logs.jsonl",
        (lines.join("\n") + "\n").as_bytes(),
    );
    assert_eq!(common::canonical(&set), want, "JSON logs");
    assert!(notes(&set).contains("JSON log lines"), "{}", notes(&set));
}

#[test]
fn json_after_a_prompt_and_node_objects_with_comments_load() {
    let dir = tempfile::tempdir().expect("tempdir");
    let json = std::fs::read_to_string(common::fixture("findings.otlp.json")).expect("read");
    let want = common::canonical(&common::load_ok(&["findings.otlp.json"]));
    let set = load(
        dir.path(),
        "prompt.json",
        format!("$ cat trace.json\n{json}").as_bytes(),
    );
    assert_eq!(common::canonical(&set), want);
    assert!(notes(&set).contains("skipped 1 line"), "{}", notes(&set));

    let node = std::fs::read_to_string(common::fixture("shapes/agent-incident.node-console.txt"))
        .expect("read");
    let want = common::canonical(&common::load_ok(&[
        "shapes/agent-incident.node-console.txt",
    ]));
    let mut noisy = String::new();
    for l in node.lines() {
        if l.starts_with("  name: ") {
            noisy.push_str(&format!("{l}  // the span's name\n"));
            continue;
        }
        noisy.push_str(l);
        noisy.push('\n');
        if l.starts_with("  kind: ") {
            noisy.push_str("  …\n");
        }
    }
    assert!(noisy.contains("// the span's name") && noisy.contains('…'));
    let set = load(dir.path(), "node-noisy.txt", noisy.as_bytes());
    assert_eq!(common::canonical(&set), want);
}

/// Text that only has a bracket in it is still refused as text, not read as JSON.
#[test]
fn a_text_file_with_a_bracket_is_still_text() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("notes.md");
    std::fs::write(&path, "# notes\n[a link](http://x)\n{not json}\n").expect("write");
    let err = agtrace::input::load(&[Input::Path(path)], &LoadOptions::with_threads(1))
        .expect_err("not traces");
    assert!(err.to_string().contains("text file"), "{err}");
}
