//! Text search over a store through its full-text index: the index names the traces
//! that may hold a `text:` needle, only those are read, and the caller's exact matcher
//! decides. `text:` finds substrings, the index holds words, so each run of letters
//! and digits of a needle is looked up by how it must sit in a word of the text: a
//! run between two separators of the needle is a whole word, one after a separator
//! starts a word (a prefix query), one before a separator ends a word, and a needle
//! with no separator lies inside a word (both found by scanning the index's
//! vocabulary). The index holds every piece of text the matcher reads (see `text`),
//! folding case as the matcher does for ASCII, so it never misses a trace the matcher
//! would find; needles that are not ASCII are left to a scan of every span.

use super::{Flavor, StoreError, open_read_only, read, schema};
use crate::model::TraceSet;
use crate::query::filter::Filter;
use crate::semconv::PriceTable;
use rusqlite::Connection;
use rustc_hash::{FxHashMap, FxHashSet};
use std::path::Path;

/// The first schema whose index holds all of a trace's text.
const ALL_TEXT_SINCE: i64 = 4;

/// Terms per MATCH query when a run fits many words.
const TERMS_PER_QUERY: usize = 400;

/// The traces of the store at `path` that may match `filter`, fully read and derived;
/// `None` when the index cannot narrow it (a group without a `text:` needle holding a
/// word of two letters or digits, or a store written before the index held all text),
/// and every span must be read instead.
pub fn text_candidates(
    path: &Path,
    filter: &Filter,
    prices: &PriceTable,
) -> Result<Option<TraceSet>, StoreError> {
    let Some(groups) = filter.index_needles() else {
        return Ok(None);
    };
    let groups: Option<Vec<Vec<Lookup<'_>>>> = groups
        .iter()
        .map(|needles| {
            let lookups: Vec<Lookup<'_>> = needles.iter().flat_map(|n| Lookup::of(n)).collect();
            (!lookups.is_empty()).then_some(lookups)
        })
        .collect();
    let Some(groups) = groups else {
        return Ok(None);
    };
    let (conn, flavor) = open_read_only(path)?;
    let e = |x| StoreError::sqlite(path, x);
    let version: i64 = conn
        .pragma_query_value(None, "user_version", |r| r.get(0))
        .map_err(e)?;
    if flavor != Flavor::Agtrace || !(ALL_TEXT_SINCE..=schema::VERSION).contains(&version) {
        return Ok(None);
    }
    let ids = candidate_ids(&conn, &groups).map_err(e)?;
    let traces: i64 = conn
        .query_row("SELECT count(*) FROM traces", [], |r| r.get(0))
        .map_err(e)?;
    // Most of the store: one pass over every span reads it faster than by trace id.
    let batch = if ids.len() as i64 * 2 > traces {
        read::read_all(&conn).map_err(e)?
    } else {
        read::load_traces(&conn, &ids, 0).map_err(e)?
    };
    let mut set = TraceSet::build(vec![batch], vec![path.display().to_string()], vec![]);
    crate::semconv::annotate(&mut set, prices);
    crate::analysis::findings::derive(&mut set);
    read::stored_findings(&conn, &mut set).map_err(e)?;
    Ok(Some(set))
}

/// How a run of a needle must sit in a word of the text.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
enum Fit {
    /// Separators on both sides: the word itself.
    Whole,
    /// A separator before it: the word starts with it.
    Prefix,
    /// A separator after it: the word ends with it.
    Suffix,
    /// No separator: somewhere in the word.
    Inside,
}

/// A run of letters and digits of a needle (lower case), and how it sits.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
struct Run<'n> {
    word: &'n str,
    fit: Fit,
}

/// The runs of an ASCII needle worth a lookup (whole words of two characters or
/// more, others of three or more: shorter ones fit too many words to narrow anything),
/// and whether they are all of its runs.
fn runs(needle: &str) -> (Vec<Run<'_>>, bool) {
    let b = needle.as_bytes();
    let mut out = Vec::new();
    let mut complete = true;
    let mut i = 0;
    while i < b.len() {
        if !b[i].is_ascii_alphanumeric() {
            i += 1;
            continue;
        }
        let start = i;
        while i < b.len() && b[i].is_ascii_alphanumeric() {
            i += 1;
        }
        let fit = match (start > 0, i < b.len()) {
            (true, true) => Fit::Whole,
            (true, false) => Fit::Prefix,
            (false, true) => Fit::Suffix,
            (false, false) => Fit::Inside,
        };
        let word = &needle[start..i];
        if word.len() >= 3 || (fit == Fit::Whole && word.len() >= 2) {
            out.push(Run { word, fit });
        } else {
            complete = false;
        }
    }
    (out, complete)
}

/// What the index is asked for one needle: each of its runs (all must fit), or, when
/// every run of the needle is there and there are several, the runs as a phrase (its
/// words follow each other in the text, as they do in the needle).
#[derive(Clone, Debug, PartialEq, Eq)]
enum Lookup<'n> {
    /// One run.
    Run(Run<'n>),
    /// Consecutive runs: the first ends a word, the last starts one, the rest are words.
    Phrase(Vec<Run<'n>>),
}

impl<'n> Lookup<'n> {
    /// The lookups of one needle.
    fn of(needle: &'n str) -> Vec<Lookup<'n>> {
        match runs(needle) {
            (runs, true) if runs.len() >= 2 => vec![Lookup::Phrase(runs)],
            (runs, _) => runs.into_iter().map(Lookup::Run).collect(),
        }
    }

    /// The run whose words only the vocabulary can list, if any.
    fn scanned(&self) -> Option<Run<'n>> {
        let r = match self {
            Lookup::Run(r) => *r,
            Lookup::Phrase(runs) => *runs.first()?,
        };
        matches!(r.fit, Fit::Suffix | Fit::Inside).then_some(r)
    }
}

/// Trace ids (hex) whose documents answer every lookup of at least one group.
fn candidate_ids(conn: &Connection, groups: &[Vec<Lookup<'_>>]) -> rusqlite::Result<Vec<String>> {
    let scanned = vocabulary_fits(conn, groups)?;
    let mut docs: FxHashSet<i64> = FxHashSet::default();
    for g in groups {
        let mut group: Option<FxHashSet<i64>> = None;
        for lookup in g {
            let words = lookup.scanned().and_then(|r| scanned.get(&r));
            let hits = lookup_docs(conn, lookup, words)?;
            group = Some(match group {
                None => hits,
                Some(prev) => prev.intersection(&hits).copied().collect(),
            });
            if group.as_ref().is_some_and(FxHashSet::is_empty) {
                break;
            }
        }
        docs.extend(group.unwrap_or_default());
    }
    let mut st = conn.prepare("SELECT trace_id FROM spans WHERE id = ?1")?;
    let mut ids = Vec::with_capacity(docs.len());
    for d in docs {
        if let Some(id) = st
            .query_map([d], |r| r.get::<_, String>(0))?
            .next()
            .transpose()?
        {
            ids.push(id);
        }
    }
    ids.sort_unstable();
    ids.dedup();
    Ok(ids)
}

/// The words of the index fitting each run that only a scan of the vocabulary finds
/// (suffixes and insides), in one pass over it.
fn vocabulary_fits<'n>(
    conn: &Connection,
    groups: &[Vec<Lookup<'n>>],
) -> rusqlite::Result<FxHashMap<Run<'n>, Vec<String>>> {
    let wanted: Vec<Run<'n>> = groups
        .iter()
        .flatten()
        .filter_map(Lookup::scanned)
        .collect();
    let mut out: FxHashMap<Run<'n>, Vec<String>> = FxHashMap::default();
    if wanted.is_empty() {
        return Ok(out);
    }
    conn.execute_batch(
        "CREATE VIRTUAL TABLE IF NOT EXISTS temp.trace_vocab USING fts5vocab(main, 'trace_text', 'row')",
    )?;
    let mut st = conn.prepare("SELECT term FROM temp.trace_vocab")?;
    let mut rows = st.query([])?;
    while let Some(r) = rows.next()? {
        let term = r.get_ref(0)?.as_str().unwrap_or("");
        for run in &wanted {
            let fits = match run.fit {
                Fit::Suffix => term.ends_with(run.word),
                _ => memchr::memmem::find(term.as_bytes(), run.word.as_bytes()).is_some(),
            };
            if fits {
                out.entry(*run).or_default().push(term.to_owned());
            }
        }
    }
    Ok(out)
}

/// The documents answering one lookup (`words`: the vocabulary's words fitting its
/// scanned run).
fn lookup_docs(
    conn: &Connection,
    lookup: &Lookup<'_>,
    words: Option<&Vec<String>>,
) -> rusqlite::Result<FxHashSet<i64>> {
    // The first word of the phrase (or the run alone) as one or more alternatives, and
    // what follows it.
    let (first, rest): (&Run<'_>, &[Run<'_>]) = match lookup {
        Lookup::Run(r) => (r, &[]),
        Lookup::Phrase(runs) => match runs.split_first() {
            Some((f, rest)) => (f, rest),
            None => return Ok(FxHashSet::default()),
        },
    };
    let tail: String = rest.iter().map(|r| format!(" {}", r.word)).collect();
    let star = match rest.last().unwrap_or(first).fit {
        Fit::Prefix => " *",
        _ => "",
    };
    let phrase = |word: &str| format!("\"{word}{tail}\"{star}");
    let queries: Vec<String> = match first.fit {
        Fit::Whole | Fit::Prefix => vec![format!("text : {}", phrase(first.word))],
        Fit::Suffix | Fit::Inside => words
            .map(|terms| {
                terms
                    .chunks(TERMS_PER_QUERY)
                    .map(|c| {
                        let ors: Vec<String> =
                            c.iter().map(|t| phrase(&t.replace('"', "\"\""))).collect();
                        format!("text : ({})", ors.join(" OR "))
                    })
                    .collect()
            })
            .unwrap_or_default(),
    };
    let mut st = conn.prepare_cached("SELECT rowid FROM trace_text WHERE trace_text MATCH ?1")?;
    let mut docs = FxHashSet::default();
    for q in queries {
        for d in st.query_map([q], |r| r.get::<_, i64>(0))? {
            docs.insert(d?);
        }
    }
    Ok(docs)
}

#[cfg(test)]
mod tests {
    use super::{Fit, Lookup, Run, runs};

    fn r(word: &str, fit: Fit) -> Run<'_> {
        Run { word, fit }
    }

    #[test]
    fn runs_sit_by_the_separators_around_them() {
        assert_eq!(runs("timeout"), (vec![r("timeout", Fit::Inside)], true));
        assert_eq!(
            runs("customer not found").0,
            vec![
                r("customer", Fit::Suffix),
                r("not", Fit::Whole),
                r("found", Fit::Prefix)
            ]
        );
        assert_eq!(
            runs("\"error\": 5"),
            (vec![r("error", Fit::Whole)], false),
            "the 5 is too short to narrow"
        );
        assert_eq!(runs("c-77"), (vec![], false), "nothing long enough");
        assert_eq!(runs(" of ").0, vec![r("of", Fit::Whole)]);
    }

    #[test]
    fn a_needle_of_several_words_is_a_phrase_when_all_are_there() {
        assert!(matches!(
            Lookup::of("charged twice").as_slice(),
            [Lookup::Phrase(p)] if p.len() == 2
        ));
        assert_eq!(
            Lookup::of("order 7 failed"),
            vec![
                Lookup::Run(r("order", Fit::Suffix)),
                Lookup::Run(r("failed", Fit::Prefix))
            ],
            "a word left out breaks the phrase"
        );
    }
}
