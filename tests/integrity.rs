//! Structural problems are repaired and flagged, never fatal: orphans, parent cycles,
//! self-parents, clock skew, unfinished spans and duplicates.

mod common;
use agtrace::model::{Marks, NONE};
use common::*;

#[test]
fn integrity_problems_are_flagged_and_the_tree_still_holds_every_span() {
    let set = load_ok(&["integrity.json"]);
    assert_eq!(set.traces.len(), 1);
    let t = &set.traces[0];
    // 12 records, one of them a second copy of span ...0b.
    assert_eq!(t.span_count, 11);
    assert_eq!(
        set.trace_spans(t).len(),
        11,
        "every span appears once in the walk"
    );
    let marks = |id: &str| set.spans[span_by_id(&set, id)].marks;
    let span = |id: &str| &set.spans[span_by_id(&set, id)];

    assert!(marks("1000000000000004").has(Marks::ORPHAN));
    assert_eq!(span("1000000000000004").parent, NONE);
    assert!(
        marks("1000000000000002").has(Marks::CLOCK_SKEW),
        "starts before its parent"
    );
    assert!(
        !marks("1000000000000003").has(Marks::CLOCK_SKEW),
        "ends after its parent on the same service's clock: async work, not skew"
    );
    assert!(
        marks("1000000000000009").has(Marks::UNFINISHED),
        "end time 0"
    );
    assert!(
        marks("100000000000000a").has(Marks::UNFINISHED),
        "end before start"
    );

    // The two-span cycle is cut at its earliest member; its partner and the span
    // below it hang off that new root.
    assert!(marks("1000000000000005").has(Marks::CYCLE_BROKEN));
    assert_eq!(span("1000000000000005").parent, NONE);
    assert_eq!(
        span("1000000000000006").parent,
        span_by_id(&set, "1000000000000005") as u32
    );
    assert_eq!(span("1000000000000007").depth, 2);
    // A span that is its own parent becomes a root.
    assert!(marks("1000000000000008").has(Marks::CYCLE_BROKEN));
    assert_eq!(span("1000000000000008").parent, NONE);

    // The duplicate is merged: the finished second copy supplies the end time.
    let dup = span("100000000000000b");
    assert!(dup.marks.has(Marks::DUPLICATE));
    assert!(dup.is_finished());
    assert_eq!(dup.duration_ns(), 50_000_000);

    let ig = t.integrity;
    assert_eq!(ig.orphans, 1);
    assert_eq!(ig.cycles, 2);
    assert_eq!(
        ig.clock_skew, 1,
        "the skewed child (the late child and cycle b outlasting cycle a keep their service's clock)"
    );
    assert_eq!(ig.unfinished, 2);
    assert_eq!(ig.duplicates, 1);
    // The true root is named even though orphans and cut cycles are roots too.
    assert_eq!(set.str(t.root_name), "root");
    assert_eq!(set.trace_roots(t).len(), 4);
}

#[test]
fn deep_chains_do_not_recurse() {
    // 200,000 nested spans: tree building must be iterative.
    let n = 200_000;
    let mut spans = String::new();
    for i in 1..=n {
        if i > 1 {
            spans.push(',');
        }
        let parent = if i == 1 {
            String::new()
        } else {
            format!("{:016x}", i - 1)
        };
        spans.push_str(&format!(
            r#"{{"traceId":"abababababababababababababababab","spanId":"{:016x}","parentSpanId":"{parent}","name":"s{i}","startTimeUnixNano":"{}","endTimeUnixNano":"{}"}}"#,
            i,
            1_000 + i,
            10_000_000 - i
        ));
    }
    let doc = format!(r#"{{"resourceSpans":[{{"scopeSpans":[{{"spans":[{spans}]}}]}}]}}"#);
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("deep.json");
    std::fs::write(&path, doc).expect("write");
    let set = agtrace::source::load(&[agtrace::source::Input::Path(path)], &Default::default())
        .expect("load");
    assert_eq!(set.spans.len(), n);
    let deepest = set.spans.iter().map(|s| s.depth).max();
    assert_eq!(deepest, Some(n as u32 - 1));
    assert!(set.integrity.is_clean());
}

/// Clock skew is a matter of clocks: a child of another service ending after its
/// parent is skew; a child of the same service ending after it is async work (the
/// Vercel AI SDK ends its spans on a later tick), and a start rounded to the
/// millisecond is not skew either.
#[test]
fn skew_needs_another_clock_or_an_early_start() {
    let span = |id: &str, parent: &str, start: u64, end: u64| {
        serde_json::json!({"traceId": "22222222222222222222222222222222", "spanId": id,
            "parentSpanId": parent, "name": id, "kind": 1,
            "startTimeUnixNano": start.to_string(), "endTimeUnixNano": end.to_string()})
    };
    let res = |service: &str, spans: Vec<serde_json::Value>| {
        serde_json::json!({"resource": {"attributes": [{"key": "service.name", "value": {"stringValue": service}}]},
            "scopeSpans": [{"spans": spans}]})
    };
    let t0: u64 = 1_763_694_720_000_000_000;
    let doc = serde_json::json!({"resourceSpans": [
        res("api", vec![
            span("2000000000000001", "", t0, t0 + 1_000_000_000),
            span("2000000000000002", "2000000000000001", t0 + 900_000_000, t0 + 1_300_000_000),
            span("2000000000000003", "2000000000000001", t0 - 400_000, t0 + 10_000_000),
            span("2000000000000004", "2000000000000001", t0 - 5_000_000, t0 + 10_000_000),
        ]),
        res("payments", vec![
            span("2000000000000005", "2000000000000001", t0 + 900_000_000, t0 + 1_300_000_000),
        ]),
    ]});
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("clocks.json");
    std::fs::write(&path, doc.to_string()).expect("write");
    let set = common::load_ok(&[path.to_str().expect("path")]);
    let skew = |id: &str| set.spans[span_by_id(&set, id)].marks.has(Marks::CLOCK_SKEW);
    assert!(!skew("2000000000000002"), "same service, ends late");
    assert!(!skew("2000000000000003"), "starts 0.4 ms early: rounding");
    assert!(skew("2000000000000004"), "starts 5 ms early");
    assert!(skew("2000000000000005"), "another service, ends late");
}
