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
        marks("1000000000000003").has(Marks::CLOCK_SKEW),
        "ends after its parent"
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
        ig.clock_skew, 3,
        "skewed child, late child, and cycle b outlasting cycle a"
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
