//! A mutated store file: the bundled v4 store with bytes changed, read as a store
//! would be (summaries, then every trace). Reading a damaged store gives an error,
//! never a panic.
#![no_main]
use libfuzzer_sys::fuzz_target;

const STORE: &[u8] = include_bytes!("../../testdata/stores/v3.db");

fuzz_target!(|data: &[u8]| {
    // The input is a list of (offset, byte) edits applied to the store.
    let mut db = STORE.to_vec();
    for pair in data.chunks_exact(3) {
        let at = (usize::from(pair[0]) << 8 | usize::from(pair[1])) * 7 % db.len();
        db[at] = pair[2];
    }
    let Ok(dir) = tempfile::tempdir() else { return };
    let path = dir.path().join("s.db");
    if std::fs::write(&path, &db).is_err() {
        return;
    }
    let _ = agtrace::store::load(&path, 0);
});
