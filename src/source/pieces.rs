//! Inputs read piece by piece for `agtrace import`: each file, each folder entry and
//! stdin goes through the stream decoder, so what is held is one piece, not the
//! input; the caller writes pieces as they come. Small files are read whole (one
//! piece), stores come as one batch, and a huge file that is one JSON document
//! (nothing to cut before its end) is decoded from the file in ranges, as `load`
//! does. The same skipping rules as [`super::load`]: in a folder, or among several
//! sources, what cannot be read is a warning.

use super::stream::{StreamDecoder, decompressing};
use super::{Input, LoadError, LoadOptions, is_sqlite, list_folder, load_bytes};
use crate::decode::Decoded;
use crate::model::{Position, Warning};
use std::io::Read as _;
use std::path::Path;

/// Files below this are read whole (they are one piece anyway).
const WHOLE_BELOW: u64 = 8 << 20;
/// Read size for files and stdin.
const READ: usize = 4 << 20;
/// Held bytes without a single piece after which a file is taken as one document.
const ONE_DOCUMENT: usize = 64 << 20;

/// Calls `f(source_name, source_index, piece)` for every decoded piece of `inputs`,
/// in order. Returns the warnings about skipped sources. `f`'s error stops it.
pub fn for_each_piece<E: From<LoadError>>(
    inputs: &[Input],
    opts: &LoadOptions,
    mut f: impl FnMut(&str, u32, Decoded) -> Result<(), E>,
) -> Result<Vec<Warning>, E> {
    let mut warnings = Vec::new();
    let mut index = 0u32;
    let mut readable = 0usize;
    let mut reasons = Vec::new();
    for input in inputs {
        let files = match input {
            Input::Path(p) if p.is_dir() => match list_folder(p) {
                Ok(files) => {
                    if files.is_empty() {
                        warnings.push(skip(&input.label(), "the folder holds no files".into()));
                    }
                    readable += 1;
                    files.into_iter().map(Input::Path).collect()
                }
                Err(e) => {
                    let e = LoadError::Io {
                        name: input.label(),
                        source: e,
                    };
                    fail::<E>(inputs.len(), &input.label(), e, &mut warnings, &mut reasons)?;
                    continue;
                }
            },
            other => vec![other.clone()],
        };
        let in_folder = matches!(input, Input::Path(p) if p.is_dir());
        for file in files {
            let name = file.label();
            match pieces_of(&file, &name, index, opts, &mut f) {
                Ok(()) => {
                    readable += usize::from(!in_folder);
                    index += 1;
                }
                Err(Stop::Sink(e)) => return Err(e),
                Err(Stop::Load(e)) if in_folder => {
                    warnings.push(skip(&name, format!("skipped: {}", super::skip_reason(&e))));
                }
                Err(Stop::Load(e)) => {
                    fail::<E>(inputs.len(), &name, e, &mut warnings, &mut reasons)?;
                }
            }
        }
    }
    if readable == 0 && !reasons.is_empty() {
        return Err(LoadError::NoneReadable(reasons).into());
    }
    Ok(warnings)
}

fn skip(name: &str, message: String) -> Warning {
    Warning {
        source: name.to_owned(),
        position: Position::Whole,
        message,
    }
}

/// A named source that cannot be read: the error when it is the only one, else a
/// warning (and a reason, for when none can be read).
fn fail<E: From<LoadError>>(
    sources: usize,
    name: &str,
    e: LoadError,
    warnings: &mut Vec<Warning>,
    reasons: &mut Vec<String>,
) -> Result<(), E> {
    if sources == 1 {
        return Err(e.into());
    }
    let why = super::skip_reason(&e);
    reasons.push(format!("{name}: {why}"));
    warnings.push(skip(name, format!("skipped: {why}")));
    Ok(())
}

enum Stop<E> {
    Load(LoadError),
    Sink(E),
}

/// The pieces of one file (or stdin).
fn pieces_of<E>(
    input: &Input,
    name: &str,
    index: u32,
    opts: &LoadOptions,
    f: &mut impl FnMut(&str, u32, Decoded) -> Result<(), E>,
) -> Result<(), Stop<E>> {
    let io = |source| {
        Stop::Load(LoadError::Io {
            name: name.to_owned(),
            source,
        })
    };
    let reader: Box<dyn std::io::Read + Send> = match input {
        Input::Backend(url) => {
            let d = super::fetch_backend(url, index, opts).map_err(Stop::Load)?;
            return f(name, index, d).map_err(Stop::Sink);
        }
        Input::Stdin => Box::new(std::io::stdin()),
        Input::Path(p) => {
            if let Some(read_store) = opts.stores.filter(|_| is_sqlite(p)) {
                let batch = read_store(p, index).map_err(|e| Stop::Load(LoadError::Store(e)))?;
                let d = Decoded::new(vec![batch], true, "SQLite store");
                return f(name, index, d).map_err(Stop::Sink);
            }
            let meta = std::fs::metadata(p).map_err(io)?;
            if meta.is_file() && meta.len() < WHOLE_BELOW {
                let buf = std::fs::read(p).map_err(io)?;
                let d = load_bytes(buf, name, index, opts).map_err(Stop::Load)?;
                return f(name, index, d).map_err(Stop::Sink);
            }
            Box::new(std::fs::File::open(p).map_err(io)?)
        }
    };
    let mut reader = decompressing(reader).map_err(io)?;
    let mut dec = StreamDecoder::new(name, index, opts);
    let mut chunk = vec![0u8; READ];
    let mut emitted = false;
    loop {
        let n = match reader.read(&mut chunk) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => {
                // A damaged compressed stream: what came before it still counts.
                let mut pieces = dec.finish().map_err(Stop::Load)?;
                if let Some(d) = pieces.first_mut() {
                    d.batches.insert(
                        0,
                        crate::model::Batch {
                            warnings: vec![skip(name, format!("the input is damaged or cut off ({e}); using what was read before that"))],
                            ..Default::default()
                        },
                    );
                }
                for d in pieces {
                    f(name, index, d).map_err(Stop::Sink)?;
                }
                return Ok(());
            }
        };
        for d in dec.push(&chunk[..n]).map_err(Stop::Load)? {
            emitted = true;
            f(name, index, d).map_err(Stop::Sink)?;
        }
        if !emitted
            && dec.held() > ONE_DOCUMENT
            && let Input::Path(p) = input
        {
            // One large document: decoded from the file in ranges, not held twice.
            return whole_file(p, name, index, opts, f);
        }
    }
    for d in dec.finish().map_err(Stop::Load)? {
        f(name, index, d).map_err(Stop::Sink)?;
    }
    Ok(())
}

/// A file read the way `load` reads it, as one piece.
fn whole_file<E>(
    p: &Path,
    name: &str,
    index: u32,
    opts: &LoadOptions,
    f: &mut impl FnMut(&str, u32, Decoded) -> Result<(), E>,
) -> Result<(), Stop<E>> {
    let set = super::load(&[Input::Path(p.to_path_buf())], opts).map_err(Stop::Load)?;
    let format = "OTLP/JSON";
    let d = Decoded::new(vec![set.into_batch()], true, format);
    f(name, index, d).map_err(Stop::Sink)
}
