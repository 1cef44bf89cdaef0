//! The input-opening layer: decides once whether what the user named is one agtrace
//! store (listed from its traces table, spans read per trace) or dumps to load whole,
//! and wires the store reader into source loading so `source` and `store` need not
//! know each other.

use crate::model::TraceSet;
use crate::source::{self, Input, LoadError, LoadOptions};
use std::path::PathBuf;

/// What a command reads from.
#[derive(Clone, Debug)]
pub enum Opened {
    /// Exactly one agtrace store: summaries first, spans on demand.
    Store(PathBuf),
    /// Files, folders, stdin (and any other mix, stores included): loaded whole.
    Dumps(Vec<Input>),
}

impl Opened {
    /// Classifies the inputs (reads only the head of a SQLite file, never stdin).
    pub fn classify(inputs: Vec<Input>) -> Opened {
        match crate::store::all_agtrace_stores(&inputs) {
            Some(mut stores) if stores.len() == 1 => Opened::Store(stores.remove(0)),
            _ => Opened::Dumps(inputs),
        }
    }

    /// The inputs, whichever way they will be read.
    pub fn inputs(&self) -> Vec<Input> {
        match self {
            Opened::Store(p) => vec![Input::Path(p.clone())],
            Opened::Dumps(i) => i.clone(),
        }
    }
}

/// Options that read SQLite files (agtrace and Phoenix stores) met among the inputs.
pub fn with_store_reader(mut opts: LoadOptions) -> LoadOptions {
    opts.stores = Some(read_store);
    opts
}

fn read_store(
    path: &std::path::Path,
    source: u32,
) -> Result<crate::model::Batch, Box<dyn std::error::Error + Send + Sync>> {
    crate::store::load(path, source).map_err(|e| Box::new(e) as _)
}

/// Loads every input whole into one set, stores included.
pub fn load(inputs: &[Input], opts: &LoadOptions) -> Result<TraceSet, LoadError> {
    source::load(inputs, &with_store_reader(opts.clone()))
}
