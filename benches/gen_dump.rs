//! Writes a synthetic agent trace dump:
//! `cargo run --release --example gen-dump -- --traces 10000 --spans-per-trace 21 --format json -o dump.json`

#[path = "support/gen.rs"]
mod generator;

use std::io::{BufWriter, Write};

fn main() -> std::io::Result<()> {
    let mut traces = 10_000usize;
    let mut per = 21usize;
    let mut enc = generator::Encoding::Json;
    let mut out_path: Option<String> = None;
    let mut seed = 42u64;
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        let mut val = || args.next().unwrap_or_default();
        match a.as_str() {
            "--traces" => traces = val().parse().unwrap_or(traces),
            "--spans-per-trace" => per = val().parse().unwrap_or(per),
            "--seed" => seed = val().parse().unwrap_or(seed),
            "--format" => {
                let v = val();
                enc = generator::Encoding::parse(&v).unwrap_or_else(|| {
                    eprintln!("unknown format {v}: json, jsonl, proto, proto-stream");
                    std::process::exit(2)
                })
            }
            "-o" | "--output" => out_path = Some(val()),
            "-h" | "--help" => {
                eprintln!(
                    "gen-dump [--traces N] [--spans-per-trace N] [--seed N] [--format json|jsonl|proto|proto-stream] [-o FILE]"
                );
                return Ok(());
            }
            other => {
                eprintln!("unknown argument {other}");
                std::process::exit(2)
            }
        }
    }
    let rs = generator::build(traces, per, seed);
    let mut out: Box<dyn Write> = match out_path {
        Some(p) => Box::new(BufWriter::new(std::fs::File::create(p)?)),
        None => Box::new(BufWriter::new(std::io::stdout().lock())),
    };
    generator::write(&mut out, &rs, enc)?;
    out.flush()
}
