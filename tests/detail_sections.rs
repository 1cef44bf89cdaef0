//! `show --detail` and the explorer's detail tabs are two views of one
//! [`StepDetail`]: for every span of the fixtures, each tab the explorer draws has the
//! same lines as the section `show --detail` prints under its heading.

mod common;
use agtrace::analysis::detail::SectionKind;
use agtrace::render::Style;
use agtrace::tui::app::App;
use agtrace::tui::keymap::Action;
use agtrace::tui::theme::Theme;

/// `show --detail` for span `i`, split into (heading, lines) with the summary first
/// under the heading "summary".
fn printed_sections(set: &agtrace::model::TraceSet, i: u32) -> Vec<(String, Vec<String>)> {
    let mut out = Vec::new();
    agtrace::render::show::write_detail(&mut out, set, i, &Style::plain()).expect("write");
    let text = String::from_utf8(out).expect("utf8");
    let mut sections = vec![("summary".to_owned(), Vec::new())];
    for line in text.lines() {
        if let Some(h) = line.strip_prefix("── ") {
            // "attributes (6)" → "attributes"
            let name = h.split(" (").next().unwrap_or(h).to_owned();
            sections.push((name, Vec::new()));
        } else if let Some(last) = sections.last_mut() {
            last.1.push(line.to_owned());
        }
    }
    // The blank line before each heading belongs to no section.
    for s in &mut sections {
        while s.1.last().is_some_and(|l| l.is_empty()) {
            s.1.pop();
        }
    }
    sections
}

/// What the explorer's tab shows for the selected span, as plain lines.
fn tab_lines(app: &mut App, kind: SectionKind) -> Vec<String> {
    app.update(Action::Tab(kind.index() as u8 + 1));
    let sh = &app.shared;
    let trace = match app.screens.last_mut() {
        Some(agtrace::tui::screens::Screen::Trace(t)) => t,
        _ => panic!("a trace is open"),
    };
    let section = trace
        .detail_section(sh)
        .expect("a span is selected")
        .clone();
    let drawn: Vec<String> = agtrace::tui::detail::lines(&section, &Theme::plain())
        .iter()
        .map(|l| l.spans.iter().map(|s| s.content.as_ref()).collect())
        .collect();
    assert_eq!(
        drawn.join("\n"),
        section.text(),
        "the tab draws the section's text"
    );
    drawn
}

fn check_fixture(rel: &str) -> usize {
    let set = common::load_ok(&[rel]);
    let mut checked = 0;
    for t in 0..set.traces.len() as u32 {
        let mut app = App::with_set(common::load_ok(&[rel]), rel.into());
        app.open_trace(t);
        let spans: Vec<u32> = set.trace_spans(&set.traces[t as usize]).to_vec();
        for (row, &i) in spans.iter().enumerate() {
            app.update(Action::Top);
            for _ in 0..row {
                app.update(Action::Down);
            }
            assert_eq!(app.selected_span(), Some(i), "{rel}: row {row}");
            let printed = printed_sections(&set, i);
            for kind in SectionKind::ALL {
                let shown = tab_lines(&mut app, kind);
                let Some((_, lines)) = printed.iter().find(|(h, _)| h == kind.heading()) else {
                    // show --detail leaves out empty sections, the raw JSON (that
                    // is what --json prints) and the trace's transcript (that is what
                    // show --transcript prints); the tab says why it is empty.
                    assert!(
                        matches!(kind, SectionKind::Raw | SectionKind::Transcript)
                            || shown.len() <= 1,
                        "{rel} span {i}: {kind:?} is shown but not printed: {shown:?}"
                    );
                    continue;
                };
                let indent = if kind == SectionKind::Summary {
                    ""
                } else {
                    "  "
                };
                let expected: Vec<String> = shown
                    .iter()
                    .map(|l| {
                        if l.is_empty() {
                            String::new()
                        } else {
                            format!("{indent}{l}").trim_end().to_owned()
                        }
                    })
                    .collect();
                assert_eq!(lines, &expected, "{rel} span {i}: {kind:?}");
                checked += 1;
            }
        }
    }
    checked
}

#[test]
fn show_detail_and_the_detail_tabs_render_the_same_sections() {
    let n = check_fixture("agent-incident.otlp.json")
        + check_fixture("integrity.json")
        + check_fixture("hostile.json");
    assert!(n > 40, "only {n} sections compared");
}

/// The summary a view builds with the trace's time split it keeps (worked out once
/// when the trace opens) is the summary built from scratch, for every span.
#[test]
fn the_kept_time_split_gives_the_same_summary() {
    use agtrace::analysis::detail::{section, section_in};
    let set = common::load_ok(&["agent-incident.otlp.json", "findings.otlp.json"]);
    for t in 0..set.traces.len() as u32 {
        let split = agtrace::analysis::steptime::time_by_kind(&set, t);
        for &i in set.trace_spans(&set.traces[t as usize]) {
            assert_eq!(
                section(&set, i, SectionKind::Summary),
                section_in(&set, i, SectionKind::Summary, Some(&split)),
                "span {i}"
            );
        }
    }
}
