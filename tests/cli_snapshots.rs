//! Snapshots of the printers' output (`ls`, `show`, `show --detail`, `--help`) on the
//! bundled fixtures. Taken before the analysis-layer refactor and kept passing after
//! it, so moving code between `render/`, `analysis/` and `tui/` cannot change what the
//! user reads without a reviewed snapshot change.

mod common;
use assert_cmd::Command;
use common::fixture;

/// Runs agtrace with a plain (piped, colourless) stdout from the repository's root
/// (so the paths it prints do not depend on where it is checked out) and returns
/// stdout.
fn run(args: &[&str]) -> String {
    let mut c = Command::cargo_bin("agtrace").expect("binary");
    c.env_remove("AGTRACE_STATS")
        .env("NO_COLOR", "1")
        .current_dir(env!("CARGO_MANIFEST_DIR"));
    let out = c.args(args).output().expect("run agtrace");
    String::from_utf8(out.stdout).expect("utf8 output")
}

fn fx(rel: &str) -> String {
    assert!(fixture(rel).exists(), "{rel}");
    format!("testdata/{rel}")
}

#[test]
fn ls_output() {
    insta::assert_snapshot!("ls_incident", run(&["ls", &fx("agent-incident.otlp.json")]));
    insta::assert_snapshot!(
        "ls_incident_json",
        run(&["ls", "--json", &fx("agent-incident.otlp.json")])
    );
    insta::assert_snapshot!(
        "ls_incident_sorted_cost",
        run(&["ls", "--sort", "cost", &fx("agent-incident.otlp.json")])
    );
    insta::assert_snapshot!(
        "ls_incident_sorted_errors",
        run(&["ls", "--sort", "errors", &fx("agent-incident.otlp.json")])
    );
    insta::assert_snapshot!("ls_integrity", run(&["ls", &fx("integrity.json")]));
    insta::assert_snapshot!("ls_hostile", run(&["ls", &fx("hostile.json")]));
}

#[test]
fn show_output() {
    let incident = fx("agent-incident.otlp.json");
    insta::assert_snapshot!("show_failed_trace", run(&["show", &incident, "0af7"]));
    insta::assert_snapshot!("show_ok_trace", run(&["show", &incident, "4bf9"]));
    insta::assert_snapshot!(
        "show_session",
        run(&["show", &incident, "--session", "conv-8812"])
    );
    insta::assert_snapshot!("show_json", run(&["show", "--json", &incident, "0af7"]));
    insta::assert_snapshot!("show_integrity", run(&["show", &fx("integrity.json")]));
    insta::assert_snapshot!("show_hostile", run(&["show", &fx("hostile.json")]));
}

#[test]
fn show_detail_output() {
    let incident = fx("agent-incident.otlp.json");
    for span in [
        "b000000000000001",
        "b000000000000002",
        "b000000000000003",
        "b000000000000004",
        "b000000000000005",
    ] {
        insta::assert_snapshot!(
            format!("detail_{span}"),
            run(&["show", &incident, "0af7", "--detail", span])
        );
    }
    insta::assert_snapshot!(
        "detail_json_b000000000000003",
        run(&["show", "--json", &incident, "--detail", "b000000000000003"])
    );
    insta::assert_snapshot!(
        "detail_hostile",
        run(&["show", &fx("hostile.json"), "--detail", "2000000000000001"])
    );
}

#[test]
fn help_output() {
    for cmd in ["open", "ls", "show", "import"] {
        insta::assert_snapshot!(format!("help_{cmd}"), run(&[cmd, "--help"]));
    }
    insta::assert_snapshot!("help_top", run(&["--help"]));
}
