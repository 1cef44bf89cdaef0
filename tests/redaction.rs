//! Redaction: testdata/secrets.otlp.json holds each kind of secret and personal data
//! in every place a value can live (testdata/secrets.list names them). The redacted
//! export in every format, the Markdown summary, and every screen of the explorer in
//! privacy mode contain none of them, and the structure (tree, kinds, tokens,
//! timings) is unchanged.

mod common;
use agtrace::export::{self, ExportFormat};
use agtrace::model::TraceSet;
use agtrace::redact::Redactor;
use agtrace::source::{Input, LoadOptions, load};
use std::process::Command;

fn secrets() -> Vec<String> {
    std::fs::read_to_string(common::fixture("secrets.list"))
        .expect("secrets.list")
        .lines()
        .filter(|l| !l.is_empty())
        .map(str::to_owned)
        .collect()
}

fn assert_clean(what: &str, text: &str) {
    for s in secrets() {
        // Where it leaks, for the failure message.
        for l in text.lines().filter(|l| l.contains(&s)) {
            eprintln!("{what}: {s:?} in {l}");
        }
        assert!(!text.contains(&s), "{what} leaks {s:?}");
    }
}

/// Tree, kinds, tokens and timings, without any text.
fn structure(set: &TraceSet) -> Vec<String> {
    let mut rows: Vec<String> = (0..set.spans.len() as u32)
        .map(|i| {
            let s = &set.spans[i as usize];
            let st = set.step(i);
            let parent = if s.parent == agtrace::model::NONE {
                "-".into()
            } else {
                set.spans[s.parent as usize].span_id.to_string()
            };
            format!(
                "{} {} parent={parent} depth={} kind={:?} outcome={:?} tokens={:?} start={} end={} status={:?}",
                s.trace_id, s.span_id, s.depth, st.kind, st.outcome, st.tokens, s.start, s.end, s.status
            )
        })
        .collect();
    rows.sort();
    rows
}

#[test]
fn a_redacted_export_holds_no_secret_and_the_same_structure() {
    let set = common::load_ok(&["secrets.otlp.json"]);
    // The fixture does hold every secret.
    let raw = std::fs::read_to_string(common::fixture("secrets.otlp.json")).expect("read");
    for s in secrets() {
        assert!(
            raw.contains(&s) || raw.contains(&s.replace('\n', "\\n")),
            "{s}"
        );
    }
    let r = Redactor::builtin();
    let traces: Vec<u32> = (0..set.traces.len() as u32).collect();
    let spans = export::select(&set, &traces, None);
    for (format, ext) in [
        (ExportFormat::OtlpJson, "json"),
        (ExportFormat::OtlpJsonl, "jsonl"),
        (ExportFormat::OtlpProto, "pb"),
    ] {
        let mut out = Vec::new();
        export::write(&mut out, &set, &spans, format, Some(&r), &mut |_| {}).expect("write");
        assert_clean(ext, &String::from_utf8_lossy(&out));
        let dir = tempfile::tempdir().expect("tempdir");
        let p = dir.path().join(format!("r.{ext}"));
        std::fs::write(&p, &out).expect("write");
        let again = load(&[Input::Path(p)], &LoadOptions::with_threads(1)).expect("loads");
        assert_eq!(structure(&set), structure(&again), "{ext}");
    }
    // Content kept: the patterns still mask what is inside it.
    let kept = Redactor::builtin().keep_content(true);
    let mut out = Vec::new();
    export::write(
        &mut out,
        &set,
        &spans,
        ExportFormat::OtlpJson,
        Some(&kept),
        &mut |_| {},
    )
    .expect("write");
    let text = String::from_utf8_lossy(&out);
    assert_clean("--keep-content", &text);
    assert!(text.contains("You are a support agent"), "content kept");
}

#[test]
fn the_cli_export_and_the_markdown_summary_hold_no_secret() {
    let bin = env!("CARGO_BIN_EXE_agtrace");
    let f = common::fixture("secrets.otlp.json");
    let out = Command::new(bin)
        .args(["export", f.to_str().expect("path"), "--all", "--redact"])
        .output()
        .expect("run");
    assert!(out.status.success());
    assert_clean("export --redact", &String::from_utf8_lossy(&out.stdout));
    let md = Command::new(bin)
        .args(["show", f.to_str().expect("path"), "--format", "markdown"])
        .output()
        .expect("run");
    assert!(md.status.success());
    let text = String::from_utf8_lossy(&md.stdout);
    assert_clean("markdown", &text);
    assert!(
        text.contains("### What failed") && text.contains("lookup_customer"),
        "{text}"
    );
    // Without redaction the summary says what it is.
    let plain = Command::new(bin)
        .args([
            "show",
            f.to_str().expect("path"),
            "--format",
            "markdown",
            "--no-redact",
        ])
        .output()
        .expect("run");
    assert!(String::from_utf8_lossy(&plain.stdout).contains("jane.doe@customer-mail.example"));
}

#[test]
fn privacy_mode_shows_no_secret_on_any_screen() {
    use agtrace::tui::app::App;
    use agtrace::tui::keymap::Action as A;
    use ratatui::Terminal;
    use ratatui::backend::TestBackend;
    let set = common::load_ok(&["secrets.otlp.json"]);
    let mut app = App::with_set(set, "secrets.otlp.json".into());
    let mut t = Terminal::new(TestBackend::new(160, 50)).expect("terminal");
    let theme = agtrace::tui::theme::Theme::plain();
    let mut screens = String::new();
    let mut frame = |app: &mut App, screens: &mut String| {
        t.draw(|f| agtrace::tui::view::render(app, f, &theme))
            .expect("draw");
        screens.push_str(&t.backend().to_string());
    };
    // Without privacy mode the secrets are on screen (the check below means something).
    app.update(A::Enter);
    frame(&mut app, &mut screens);
    assert!(screens.contains("jane.doe@customer-mail.example"));
    screens.clear();
    app.update(A::Back);
    app.update(A::Privacy);
    frame(&mut app, &mut screens);
    assert!(screens.contains("PRIVACY"));
    app.update(A::Enter);
    for span in 0..3 {
        let _ = span;
        for tab in 1..=8 {
            app.update(A::Tab(tab));
            frame(&mut app, &mut screens);
        }
        app.update(A::Down);
    }
    app.update(A::Incident);
    frame(&mut app, &mut screens);
    app.update(A::Back);
    app.update(A::Back);
    for a in [A::SessionView, A::StatsView, A::SlowestSteps] {
        app.update(a);
        frame(&mut app, &mut screens);
        app.update(A::Back);
    }
    assert_clean("privacy-mode screens", &screens);
    // Off again: the trace as recorded, the selection kept.
    app.update(A::Privacy);
    app.update(A::Enter);
    app.update(A::Tab(4));
    screens.clear();
    frame(&mut app, &mut screens);
    assert!(!screens.contains("PRIVACY"));
}

#[test]
fn a_user_rule_file_adds_patterns_an_allow_list_and_content_keys() {
    let dir = tempfile::tempdir().expect("tempdir");
    let rules = dir.path().join("rules.toml");
    std::fs::write(
        &rules,
        "allow = [\"^deploy-bot@ops\\\\.example$\"]\ncontent_keys = [\"app.note\"]\n[[rule]]\nname = \"ticket\"\npattern = \"TICKET-[0-9]{4,}\"\n",
    )
    .expect("write");
    let r = Redactor::with_file(&rules).expect("rules load");
    assert_eq!(r.text("see TICKET-12345 now"), "see [redacted:ticket] now");
    assert_eq!(
        r.value("user.email", "deploy-bot@ops.example"),
        "deploy-bot@ops.example"
    );
    assert_eq!(
        r.value("user.email", "jane@corp.example"),
        "[redacted:email]"
    );
    assert!(
        r.value("app.note", "private words")
            .starts_with("[redacted text")
    );
    // A broken file names itself and what is wrong.
    std::fs::write(&rules, "[[rule]]\nname = \"x\"\npattern = \"(\"\n").expect("write");
    let e = Redactor::with_file(&rules)
        .expect_err("bad pattern")
        .to_string();
    assert!(e.contains("rules.toml") && e.contains("\"x\""), "{e}");
    std::fs::write(&rules, "colour = 3\n").expect("write");
    let e = Redactor::with_file(&rules)
        .expect_err("unknown key")
        .to_string();
    assert!(e.contains("colour"), "{e}");
}

/// What redaction changes in a value that is not content and not under a secret
/// name: ids, hashes, times, model names, URLs without credentials, versions,
/// durations must stay readable.
fn machine_value(v: &str) -> bool {
    let hexish = |s: &str| s.len() >= 8 && s.chars().all(|c| c.is_ascii_hexdigit() || c == '-');
    let number = |s: &str| s.parse::<f64>().is_ok();
    let iso = |s: &str| {
        s.len() >= 19
            && s.as_bytes()[4] == b'-'
            && s.as_bytes()[10] == b'T'
            && s[..4].chars().all(|c| c.is_ascii_digit())
    };
    hexish(v) || number(v) || iso(v)
}

/// On every real dump that loads: ids, hashes, numbers and timestamps — wherever
/// they are — keep their text under redaction, the values of id-named keys are never
/// taken for tokens, and at most one plain value in a thousand is (there are none
/// in the samples today).
#[test]
fn real_dumps_keep_ids_hashes_and_times_readable() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/realdata");
    let Ok(rd) = std::fs::read_dir(&dir) else {
        common::skipped("../shared/realdata is not present: the false-positive check did not run");
        return;
    };
    let r = Redactor::builtin();
    let (mut files, mut values, mut changed) = (0, 0usize, Vec::new());
    for e in rd.flatten() {
        let p = e.path();
        if p.extension().is_some_and(|x| x == "md") {
            continue;
        }
        let Ok(set) = load(&[Input::Path(p.clone())], &LoadOptions::with_threads(1)) else {
            continue;
        };
        files += 1;
        for a in &set.attrs {
            let key = set.str(a.key);
            let Some(v) = a.value.as_str(&set.strings) else {
                continue;
            };
            if r.is_content_key(key) || r.is_secret_key(key) || v.is_empty() {
                continue;
            }
            values += 1;
            let out = r.value(key, v);
            if out == v {
                continue;
            }
            // An id may hold personal data (an email as a user id), but the shapes
            // of unknown tokens never touch it.
            let id_key = key.ends_with("id") || key.ends_with("_id") || key.ends_with(".id");
            let generic = [
                "[redacted:token]",
                "[redacted:url_secret]",
                "[redacted:token_word]",
            ];
            assert!(
                !(machine_value(v) || (id_key && generic.iter().any(|g| out.contains(g)))),
                "{}: {key} = {v:?} became {out:?}",
                p.display()
            );
            // Personal data (emails, IPs, phone and card numbers) goes by design; what
            // the shapes of unknown tokens take is counted.
            if generic.iter().any(|g| out.contains(g)) || out.contains("[redacted:encoded]") {
                changed.push(format!("{key} = {v:.80} -> {out:.80}"));
            }
        }
        for s in &set.spans {
            for (what, text) in [
                ("name", set.str(s.name)),
                ("status", set.str(s.status_message)),
            ] {
                let out = r.text(text);
                assert!(
                    out == text || !machine_value(text),
                    "{}: span {what} {text:?} became {out:?}",
                    p.display()
                );
            }
        }
    }
    assert!(files > 0, "no real dump loaded");
    // At most one plain value in a thousand taken for a token.
    assert!(
        changed.len() * 1000 <= values.max(1),
        "{} of {values} plain values taken for tokens: {changed:#?}",
        changed.len()
    );
}
