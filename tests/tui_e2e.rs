//! End to end: the real binary in tmux, opened from a path and from a pipe, driven with
//! keys, checked with `capture-pane`. Skipped (saying so) when tmux is not installed;
//! `.ci/run` installs it.

mod common;
use std::process::Command;
use std::time::{Duration, Instant};

struct Tmux {
    socket: String,
}

impl Tmux {
    fn start(name: &str) -> Option<Tmux> {
        if Command::new("tmux").arg("-V").output().is_err() {
            common::skipped("tmux is not installed; this end-to-end TUI test did not run");
            return None;
        }
        let socket = format!("agtrace-e2e-{}-{name}", std::process::id());
        let t = Tmux { socket };
        let ok = t
            .cmd(&[
                "new-session",
                "-d",
                "-s",
                "e2e",
                "-x",
                "120",
                "-y",
                "40",
                "bash --norc --noprofile",
            ])
            .status
            .success();
        assert!(ok, "tmux new-session failed");
        Some(t)
    }

    fn cmd(&self, args: &[&str]) -> std::process::Output {
        Command::new("tmux")
            .arg("-L")
            .arg(&self.socket)
            .args(args)
            .env("TERM", "xterm-256color")
            .output()
            .expect("run tmux")
    }

    fn keys(&self, keys: &[&str]) {
        let mut args = vec!["send-keys", "-t", "e2e"];
        args.extend_from_slice(keys);
        self.cmd(&args);
    }

    fn typed(&self, text: &str) {
        self.cmd(&["send-keys", "-t", "e2e", "-l", text]);
    }

    fn capture(&self) -> String {
        String::from_utf8_lossy(&self.cmd(&["capture-pane", "-t", "e2e", "-p"]).stdout).into_owned()
    }

    /// Waits until the pane shows `needle`, returning the pane.
    fn wait_for(&self, needle: &str) -> String {
        self.wait_until(needle, |pane| pane.contains(needle))
    }

    /// Waits until `ready` holds for the pane, returning the pane.
    fn wait_until(&self, what: &str, ready: impl Fn(&str) -> bool) -> String {
        let start = Instant::now();
        loop {
            let pane = self.capture();
            if ready(&pane) {
                return pane;
            }
            if start.elapsed() > Duration::from_secs(15) {
                panic!("timed out waiting for {what}; the pane shows:\n{pane}");
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// Waits until the shell shows a fresh prompt (the explorer has exited, so what
    /// is typed next goes to the shell, not to the explorer's key reader).
    fn wait_for_prompt(&self) -> String {
        self.wait_until("the shell's prompt", |pane| {
            pane.lines()
                .rev()
                .find(|l| !l.trim().is_empty())
                .is_some_and(|l| {
                    let l = l.trim_end();
                    l.ends_with('#') || l.ends_with('$')
                })
        })
    }
}

impl Drop for Tmux {
    fn drop(&mut self) {
        let _ = self.cmd(&["kill-server"]);
    }
}

fn bin() -> String {
    assert_cmd::cargo::cargo_bin("agtrace")
        .display()
        .to_string()
}

fn fixture() -> String {
    format!(
        "{}/testdata/agent-incident.otlp.json",
        env!("CARGO_MANIFEST_DIR")
    )
}

fn explore(t: &Tmux) {
    t.wait_for("4 traces");
    // From the list, e selects the failed trace; Enter opens it on its failure origin.
    t.keys(&["e"]);
    t.keys(&["Enter"]);
    t.wait_for("status        error: HTTP 504");
    // Back to the top, then e finds the failing tool call's origin again.
    t.keys(&["g"]);
    t.keys(&["e"]);
    t.wait_for("finding 1/2 · failure_origin: POST failed: HTTP 504");
    // The filter line finds the failed tool by name.
    t.keys(&["/"]);
    t.typed("tool:refund*");
    t.keys(&["Enter"]);
    let pane = t.wait_for("1 match");
    assert!(pane.contains("execute_tool refund_payment"), "{pane}");
    // f on the list keeps failed traces only.
    // Esc on the list clears the filter (the second Esc completes a lone ESC byte);
    // wait until it is read before the next key, so f is not taken with it.
    t.keys(&["Escape"]);
    t.keys(&["Escape"]);
    t.wait_for("filters cleared");
    t.keys(&["f"]);
    // Failed-only is the filter term status:error, shown in the header.
    t.wait_for("[status:error]");
    let pane = t.wait_for("1/4 traces");
    assert!(!pane.contains("RAGChain"), "{pane}");
    // q leaves the explorer and the shell works again (terminal restored).
    t.keys(&["q"]);
    t.wait_for_prompt();
    t.typed("echo shell-ok-$((6*7))");
    t.keys(&["Enter"]);
    let pane = t.wait_for("shell-ok-42");
    assert!(
        !pane.contains("[status:error]"),
        "the alternate screen was left: {pane}"
    );
}

#[test]
fn explore_from_a_path() {
    let Some(t) = Tmux::start("path") else { return };
    t.typed(&format!("{} {}", bin(), fixture()));
    t.keys(&["Enter"]);
    explore(&t);
}

#[test]
fn explore_from_a_pipe() {
    let Some(t) = Tmux::start("pipe") else { return };
    t.typed(&format!("cat {} | {} open -", fixture(), bin()));
    t.keys(&["Enter"]);
    explore(&t);
}

impl Tmux {
    /// The pane's alternate-screen, mouse-tracking and cursor-visible flags.
    fn flags(&self) -> (bool, bool, bool) {
        let out = self.cmd(&[
            "display",
            "-p",
            "-t",
            "e2e",
            "#{alternate_on} #{mouse_any_flag} #{cursor_flag}",
        ]);
        let text = String::from_utf8_lossy(&out.stdout).into_owned();
        let f: Vec<bool> = text.split_whitespace().map(|w| w == "1").collect();
        (f[0], f[1], f[2])
    }

    /// Waits until the flags read `want`.
    fn wait_flags(&self, want: (bool, bool, bool)) {
        let start = Instant::now();
        while self.flags() != want {
            if start.elapsed() > Duration::from_secs(15) {
                panic!(
                    "flags stayed {:?}, wanted {want:?}; pane:\n{}",
                    self.flags(),
                    self.capture()
                );
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }
}

/// The explorer's pid, found by its unique command line.
fn pid_of(marker: &str) -> String {
    let out = Command::new("pgrep")
        .args(["-f", marker])
        .output()
        .expect("pgrep");
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .next()
        .expect("the explorer runs")
        .to_owned()
}

#[test]
fn sigterm_and_sighup_restore_the_terminal() {
    for sig in ["TERM", "HUP"] {
        let Some(t) = Tmux::start(&format!("sig{sig}")) else {
            return;
        };
        // A copy of the fixture under a unique name, so pgrep finds this run only.
        let dir = tempfile::tempdir().expect("tempdir");
        let copy = dir
            .path()
            .join(format!("sig-{sig}-{}.json", std::process::id()));
        std::fs::copy(fixture(), &copy).expect("copy");
        t.typed(&format!("{} open {}", bin(), copy.display()));
        t.keys(&["Enter"]);
        t.wait_for("4 traces");
        t.wait_flags((true, true, false));
        let pid = pid_of(&copy.display().to_string());
        let ok = Command::new("kill")
            .args([&format!("-{sig}"), &pid])
            .status()
            .expect("kill");
        assert!(ok.success());
        // Alternate screen off, mouse tracking off, cursor shown.
        t.wait_flags((false, false, true));
        t.wait_for_prompt();
        t.typed("echo shell-ok-$((6*7))");
        t.keys(&["Enter"]);
        t.wait_for("shell-ok-42");
    }
}

#[test]
fn ctrl_z_suspends_and_fg_resumes() {
    let Some(t) = Tmux::start("suspend") else {
        return;
    };
    t.typed(&format!("{} {}", bin(), fixture()));
    t.keys(&["Enter"]);
    t.wait_for("4 traces");
    t.keys(&["C-z"]);
    // The shell has the terminal back: normal screen, no mouse tracking, a cursor.
    t.wait_for("Stopped");
    t.wait_flags((false, false, true));
    t.typed("fg");
    t.keys(&["Enter"]);
    t.wait_flags((true, true, false));
    let pane = t.wait_for("4 traces");
    // `fg` went to the shell, not to the explorer as the keys f and g.
    assert!(!pane.contains("[status:error]"), "{pane}");
    assert!(!pane.contains("failed only"), "{pane}");
    t.keys(&["q"]);
    t.wait_flags((false, false, true));
}

#[test]
fn a_pipe_that_stays_open_shows_its_traces_before_it_ends() {
    let Some(t) = Tmux::start("stream") else {
        return;
    };
    let first = format!(
        "{}/testdata/folder/traces-2025-11-21T03.jsonl",
        env!("CARGO_MANIFEST_DIR")
    );
    let second = format!(
        "{}/testdata/folder/traces-2025-11-21T04.jsonl",
        env!("CARGO_MANIFEST_DIR")
    );
    // The writer keeps the pipe open: nothing would show if stdin were read to its end.
    t.typed(&format!(
        "(cat {first}; sleep 2; cat {second}; sleep 120) | {} open -",
        bin()
    ));
    t.keys(&["Enter"]);
    let pane = t.wait_for("2 traces");
    assert!(pane.contains("stdin"), "{pane}");
    // The second file continues a trace of the first and starts another: both show.
    let pane = t.wait_for("3 traces");
    assert!(pane.contains("invoke_agent research"), "{pane}");
    assert!(!pane.contains("(ended)"), "the pipe is still open: {pane}");
    t.keys(&["q"]);
}
