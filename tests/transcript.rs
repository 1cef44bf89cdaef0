//! The transcript of a run: every message once across the LLM calls that resend the
//! history, tool calls and results inline (a repeated call is shown each time it ran),
//! the step each came from; as a tab in the explorer and `show --transcript`.

mod common;
use agtrace::analysis::transcript::transcript;

fn roles(set: &agtrace::model::TraceSet, id: &str) -> Vec<(String, String)> {
    let t = set.find_traces(id)[0];
    transcript(set, t)
        .iter()
        .map(|e| {
            (
                e.role.clone(),
                set.spans[e.span as usize].span_id.to_string(),
            )
        })
        .collect()
}

#[test]
fn history_is_said_once_and_every_tool_run_shows() {
    let set = common::load_ok(&["findings.otlp.json"]);
    // A healthy run: both LLM calls send the user's message; it is said once.
    let healthy = roles(&set, "f1d00000000000000000000000000001");
    assert_eq!(
        healthy,
        [
            ("user".to_owned(), "0001000000000002".to_owned()),
            ("assistant".to_owned(), "0001000000000002".to_owned()),
            ("tool call".to_owned(), "0001000000000003".to_owned()),
            ("tool result".to_owned(), "0001000000000003".to_owned()),
            ("assistant".to_owned(), "0001000000000004".to_owned()),
        ]
    );
    // The loop: each of the four identical calls ran, so each shows.
    let looped = roles(&set, "f1d00000000000000000000000000010");
    assert_eq!(looped.iter().filter(|(r, _)| r == "tool call").count(), 4);
    assert_eq!(looped.iter().filter(|(r, _)| r == "user").count(), 1);
}

#[test]
fn show_transcript_and_the_explorer_tab() {
    let f = common::fixture("findings.otlp.json");
    let text = common::run_ok(&[
        "show",
        f.to_str().expect("path"),
        "f1d00000000000000000000000000011",
        "--transcript",
    ]);
    // The empty MCP result, then the answer that made something up.
    let result = text.find("[tool result]").expect("tool result");
    let answer = text
        .find("Your order o-555 ships tomorrow.")
        .expect("answer");
    assert!(result < answer, "{text}");
    let out = assert_cmd::Command::cargo_bin("agtrace")
        .expect("binary")
        .args([
            "show",
            f.to_str().expect("path"),
            "f1d00000000000000000000000000011",
            "--transcript",
            "--json",
        ])
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let rows: Vec<serde_json::Value> = String::from_utf8_lossy(&out)
        .lines()
        .map(|l| serde_json::from_str(l).expect("json"))
        .collect();
    assert_eq!(rows[0]["role"], "user");
    assert!(
        rows.iter()
            .any(|r| r["role"] == "tool result" && r["parts"][0]["type"] == "tool_call_response")
    );
    // The explorer: tab 8 on any span of the trace.
    let set = common::load_ok(&["findings.otlp.json"]);
    let mut a = agtrace::tui::app::App::with_set(set, "f".into());
    let t = a.shared.set.find_traces("f1d00000000000000000000000000011")[0];
    a.open_trace(t);
    a.update(agtrace::tui::keymap::Action::Tab(8));
    let mut term =
        ratatui::Terminal::new(ratatui::backend::TestBackend::new(160, 40)).expect("terminal");
    term.draw(|fr| agtrace::tui::view::render(&mut a, fr, &agtrace::tui::theme::Theme::plain()))
        .expect("draw");
    let screen = term.backend().to_string();
    assert!(screen.contains("[tool result]"), "{screen}");
    assert!(
        screen.contains("[8 Transcript]") || screen.contains("[8 Txt]"),
        "tab 8 selected: {screen}"
    );
}
