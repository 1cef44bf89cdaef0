//! Any bytes through the whole input path: compression, format detection, every
//! decoder, the model build, step semantics and findings. Must never panic, hang or
//! allocate without bound.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let opts = agtrace::source::LoadOptions::with_threads(1);
    if let Ok(d) = agtrace::source::load_bytes(data.to_vec(), "fuzz", 0, &opts) {
        let mut set = agtrace::model::TraceSet::build(d.batches, vec!["fuzz".into()], Vec::new());
        agtrace::semconv::annotate(&mut set, &opts.prices);
        agtrace::analysis::findings::derive(&mut set);
    }
});
