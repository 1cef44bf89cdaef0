//! The fuzz targets' bodies (`agtrace::fuzzing`, what `cargo +nightly fuzz run`
//! drives) replayed on the stable toolchain: every fixture in `testdata/` (the seed
//! corpus), deterministic cuts and byte flips of each, and every input a fuzzer ever
//! crashed on (`testdata/fuzz/`). This is CI's fuzz smoke run: a regression in the
//! hostile-input handling fails here without nightly.

mod common;
use agtrace::fuzzing;

/// Every file under `testdata/`, sorted.
fn seeds() -> Vec<(String, Vec<u8>)> {
    fn walk(dir: &std::path::Path, out: &mut Vec<std::path::PathBuf>) {
        for e in std::fs::read_dir(dir).expect("testdata").flatten() {
            let p = e.path();
            if p.is_dir() {
                walk(&p, out);
            } else {
                out.push(p);
            }
        }
    }
    let mut paths = Vec::new();
    walk(&common::fixture(""), &mut paths);
    paths.sort();
    paths
        .into_iter()
        .map(|p| (p.display().to_string(), std::fs::read(&p).expect("read")))
        .collect()
}

/// A small deterministic generator, so every run replays the same mutations.
struct Lcg(u64);
impl Lcg {
    fn next(&mut self) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        self.0 >> 33
    }
}

/// The input cut at a third and two thirds, and eight copies with bytes flipped.
fn mutations(data: &[u8], rng: &mut Lcg) -> Vec<Vec<u8>> {
    let mut out = vec![
        data[..data.len() / 3].to_vec(),
        data[..data.len() * 2 / 3].to_vec(),
    ];
    for _ in 0..8 {
        let mut m = data.to_vec();
        for _ in 0..4 {
            if !m.is_empty() {
                let at = rng.next() as usize % m.len();
                m[at] = rng.next() as u8;
            }
        }
        out.push(m);
    }
    out
}

#[test]
fn every_seed_and_its_mutations_pass_every_byte_target() {
    let mut rng = Lcg(0x5eed);
    let mut n = 0;
    for (name, data) in seeds() {
        // The store is its own target's base, far too big to draw each mutation of.
        if name.ends_with(".db") {
            continue;
        }
        let mut inputs = vec![data.clone()];
        inputs.extend(mutations(&data, &mut rng));
        for input in &inputs {
            fuzzing::load_any(input);
            fuzzing::otlp_proto(input);
            fuzzing::text_formats(input);
            fuzzing::render(input);
            fuzzing::redact(input);
            fuzzing::export(input);
            fuzzing::stream(input);
            n += 1;
        }
    }
    assert!(n > 100, "{n} inputs replayed");
}

#[test]
fn every_crasher_stays_fixed_with_every_step_detailed() {
    let dir = common::fixture("fuzz");
    let mut n = 0;
    for entry in std::fs::read_dir(&dir).expect("testdata/fuzz") {
        let data = std::fs::read(entry.expect("entry").path()).expect("read");
        fuzzing::load_any(&data);
        fuzzing::otlp_proto(&data);
        fuzzing::text_formats(&data);
        fuzzing::render(&data);
        fuzzing::filter(&data);
        fuzzing::redact(&data);
        fuzzing::export(&data);
        fuzzing::stream(&data);
        let opts = agtrace::source::LoadOptions::with_threads(1);
        if let Ok(d) = agtrace::source::load_bytes(data, "fuzz", 0, &opts) {
            let mut set =
                agtrace::model::TraceSet::build(d.batches, vec!["fuzz".into()], Vec::new());
            agtrace::semconv::annotate(&mut set, &opts.prices);
            agtrace::analysis::findings::derive(&mut set);
            for i in 0..set.spans.len() as u32 {
                let _ = agtrace::analysis::detail::StepDetail::build(&set, i);
            }
        }
        n += 1;
    }
    assert!(n >= 1);
}

#[test]
fn filter_seeds_and_their_mutations_parse_or_fail_cleanly() {
    let seeds = [
        "status:error",
        "tool:refund* & dur>2s",
        "text:\"charged twice\" | model:gpt-4o",
        "finding:loop",
        "kind:llm & cost>0.01",
        "slow:1s",
        "!status:ok & (service:a | name:\"b c\")",
    ];
    let mut rng = Lcg(7);
    for s in seeds {
        fuzzing::filter(s.as_bytes());
        for m in mutations(s.as_bytes(), &mut rng) {
            fuzzing::filter(&m);
        }
        // Unbalanced and repeated operators.
        fuzzing::filter(format!("(((({s}").as_bytes());
        fuzzing::filter(format!("{s} & & | !").as_bytes());
    }
}

#[test]
fn a_store_with_edited_bytes_is_read_or_refused_never_a_panic() {
    let mut rng = Lcg(11);
    for _ in 0..40 {
        let edits: Vec<u8> = (0..30).map(|_| rng.next() as u8).collect();
        fuzzing::store(&edits);
    }
}
