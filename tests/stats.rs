//! `agtrace stats`: per-group numbers checked against a straightforward computation
//! over the loaded spans, lower-bound costs, the findings summary, JSON Lines.

mod common;
use agtrace::analysis::stats::{GroupBy, group_stats};
use agtrace::model::StepKind;
use agtrace::query::filter::Filter;

fn agtrace() -> assert_cmd::Command {
    assert_cmd::Command::cargo_bin("agtrace").expect("binary")
}

/// The nearest-rank percentile in integers: the smallest value with at least pct% of
/// the values at or below it.
fn reference(v: &[u64], pct: usize) -> Option<u64> {
    let mut v = v.to_vec();
    v.sort_unstable();
    v.iter()
        .copied()
        .find(|&c| v.iter().filter(|&&y| y <= c).count() * 100 >= pct * v.len())
}

#[test]
fn tool_rows_match_a_straightforward_count() {
    let set = common::load_ok(&[
        "findings.otlp.json",
        "agent-incident.otlp.json",
        "triage.otlp.json",
    ]);
    let (rows, total) = group_stats(&set, GroupBy::Tool, &Filter::default());
    for r in &rows {
        let mine: Vec<u32> = (0..set.spans.len() as u32)
            .filter(|&i| {
                let st = set.step(i);
                st.kind == StepKind::Tool && set.str(st.tool_name) == r.key
            })
            .collect();
        let lat: Vec<u64> = mine
            .iter()
            .map(|&i| set.spans[i as usize].duration_ns())
            .collect();
        assert_eq!(r.calls as usize, mine.len(), "{}", r.key);
        let errors = mine
            .iter()
            .filter(|&&i| set.step(i).outcome == agtrace::model::Outcome::Error)
            .count();
        assert_eq!(r.errors as usize, errors, "{}", r.key);
        for (pct, got) in [(50, r.p50), (95, r.p95), (99, r.p99), (100, r.max)] {
            assert_eq!(got, reference(&lat, pct), "{} p{pct}", r.key);
        }
    }
    let fetch = rows
        .iter()
        .find(|r| r.key == "fetch_url")
        .expect("fetch_url");
    assert_eq!(fetch.calls, 28);
    assert_eq!(fetch.max, Some(8_200_000_000));
    // Sorted by what hurts: failing tools first.
    assert_eq!(rows[0].key, "refund_payment");
    assert_eq!(total.calls, rows.iter().map(|r| r.calls).sum::<u64>());
    assert_eq!(total.errors, 2);
}

#[test]
fn model_rows_sum_leaf_calls_and_unknown_costs_make_lower_bounds() {
    let set = common::load_ok(&["triage.otlp.json"]);
    let (rows, total) = group_stats(&set, GroupBy::Model, &Filter::default());
    let acme = rows.iter().find(|r| r.key == "acme-large-2").expect("acme");
    assert_eq!(acme.cost(), None, "no price: unknown, never $0");
    assert_eq!((acme.input_tokens, acme.output_tokens), (4900, 600));
    assert!(
        total.cost_is_partial(),
        "the total includes an unpriced call"
    );
    let gpt = rows
        .iter()
        .find(|r| r.key.starts_with("gpt-4o"))
        .expect("gpt-4o");
    assert!(gpt.per_output_token.is_some_and(|v| v > 0.0));
    // A filter narrows the steps counted.
    let (rows, _) = group_stats(
        &set,
        GroupBy::Model,
        &Filter::parse("model:acme*").expect("filter"),
    );
    assert_eq!(rows.len(), 1);
}

#[test]
fn cli_tables_json_and_findings() {
    let f = common::fixture("findings.otlp.json");
    let f = f.to_str().expect("path");
    let text = common::run_ok(&["stats", f]);
    assert!(text.starts_with("TOOL"), "{text}");
    assert!(
        text.contains("\nMODEL"),
        "a model table after the tool table: {text}"
    );
    assert!(
        text.lines()
            .any(|l| l.starts_with("fetch_url") && l.contains(" 27 ")),
        "{text}"
    );
    let out = agtrace()
        .args(["stats", f, "--by", "agent", "--json"])
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let rows: Vec<serde_json::Value> = String::from_utf8_lossy(&out)
        .lines()
        .map(|l| serde_json::from_str(l).expect("json"))
        .collect();
    assert_eq!(rows.len(), 2, "planner and the totals row");
    assert_eq!(rows[0]["key"], "planner");
    assert_eq!(rows[0]["calls"], 15);
    assert_eq!(rows[1]["total"], true);
    let out = agtrace()
        .args(["stats", f, "--findings", "--json"])
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let kinds: Vec<String> = String::from_utf8_lossy(&out)
        .lines()
        .map(|l| {
            let v: serde_json::Value = serde_json::from_str(l).expect("json");
            v["finding"].as_str().unwrap_or_default().to_owned()
        })
        .collect();
    assert!(
        kinds.contains(&"loop".to_owned()) && kinds.contains(&"runaway".to_owned()),
        "{kinds:?}"
    );
    agtrace()
        .args(["stats", f, "--by", "tool", "--filter", "tool:nothing*"])
        .assert()
        .code(3);
}
