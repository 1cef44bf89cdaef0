//! Analysis benchmark: what findings and `stats` add to loading the 210,000-span
//! reference dump (10,000 traces of 21 spans, OTLP/JSON, generated once into
//! `bench-data/`, shared with the load benchmark). Each run loads the file (the
//! baseline: read, decode, build, semantics) and reports the findings phase of that
//! load, then computes every `stats` grouping and the findings summary. Medians.
//!
//! `cargo bench --bench analysis -- [--traces N] [--spans-per-trace N] [--runs N]`

#[path = "support/gen.rs"]
mod generator;

use agtrace::analysis::stats::{GroupBy, finding_stats, group_stats};
use agtrace::query::filter::Filter;
use agtrace::source::{Input, LoadOptions};
use std::path::PathBuf;
use std::time::Instant;

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let arg = |name: &str, default: usize| {
        args.iter()
            .position(|a| a == name)
            .and_then(|i| args.get(i + 1))
            .and_then(|v| v.parse().ok())
            .unwrap_or(default)
    };
    let (traces, per, runs) = (
        arg("--traces", 10_000),
        arg("--spans-per-trace", 21),
        arg("--runs", 5),
    );
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("bench-data");
    std::fs::create_dir_all(&dir).expect("bench-data dir");
    let file = dir.join(format!("agents-{traces}x{per}.json"));
    if !file.exists() {
        let rs = generator::build(traces, per, 42);
        let mut w = std::io::BufWriter::new(std::fs::File::create(&file).expect("create"));
        generator::write(&mut w, &rs, generator::Encoding::Json).expect("write");
    }
    println!(
        "agtrace analysis benchmark: {} ({} spans), {runs} runs",
        file.display(),
        traces * per
    );
    let (mut load, mut found, mut stats) = (Vec::new(), Vec::new(), Vec::new());
    let mut kinds = Vec::new();
    for _ in 0..runs {
        let t = Instant::now();
        let set = agtrace::source::load(&[Input::Path(file.clone())], &LoadOptions::default())
            .expect("load");
        let total = t.elapsed().as_secs_f64();
        let f = set
            .timings
            .iter()
            .find(|(k, _)| *k == "findings")
            .map_or(0.0, |(_, s)| *s);
        load.push(total - f);
        found.push(f);
        let t = Instant::now();
        let filter = Filter::default();
        for by in [
            GroupBy::Tool,
            GroupBy::Model,
            GroupBy::Kind,
            GroupBy::Name,
            GroupBy::Service,
            GroupBy::Session,
            GroupBy::Agent,
        ] {
            std::hint::black_box(group_stats(&set, by, &filter));
        }
        kinds = finding_stats(&set, &filter)
            .into_iter()
            .map(|r| format!("{} {}", r.kind.as_str(), r.count))
            .collect();
        stats.push(t.elapsed().as_secs_f64());
    }
    let (l, f, s) = (median(load), median(found), median(stats));
    println!("  load without findings: {l:.3} s (the baseline)");
    println!("  findings: {f:.3} s = {:.1}% of the load", 100.0 * f / l);
    println!(
        "  stats, all seven groupings and the findings summary: {s:.3} s = {:.1}% of the load",
        100.0 * s / l
    );
    println!("  findings + stats: {:.3} s added (budget 1 s)", f + s);
    println!("  findings fired: {}", kinds.join(", "));
}
