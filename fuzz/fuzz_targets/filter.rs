//! Any text as a filter expression, then applied to a small trace set.
#![no_main]
use libfuzzer_sys::fuzz_target;
use std::sync::OnceLock;

fn set() -> &'static agtrace::model::TraceSet {
    static SET: OnceLock<agtrace::model::TraceSet> = OnceLock::new();
    SET.get_or_init(|| {
        let doc = include_bytes!("../../testdata/agent-incident.otlp.json");
        let opts = agtrace::source::LoadOptions::with_threads(1);
        let d = agtrace::source::load_bytes(doc.to_vec(), "seed", 0, &opts).expect("fixture");
        let mut set = agtrace::model::TraceSet::build(d.batches, vec!["seed".into()], Vec::new());
        agtrace::semconv::annotate(&mut set, &opts.prices);
        agtrace::analysis::findings::derive(&mut set);
        set
    })
}

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(f) = agtrace::query::filter::Filter::parse(text) {
        let m = f.matcher(set());
        for t in 0..set().traces.len() as u32 {
            let _ = m.trace_matches(t);
        }
    }
});
