//! `agtrace help filter | keys | formats`: the references an installed binary carries,
//! printed from the tables the code itself uses (the filter reference the parser is
//! tested against, the keymap the explorer resolves keys with, the formats list).

use crate::query::filter::REFERENCE;
use crate::source::FORMATS;
use crate::tui::keymap::{Context, Keymap};
use std::io::{self, Write};

/// Two columns: the first padded to its widest entry (at most `max`).
fn table<A: AsRef<str>, B: AsRef<str>>(
    out: &mut impl Write,
    rows: &[(A, B)],
    max: usize,
) -> io::Result<()> {
    let w = rows
        .iter()
        .map(|(a, _)| a.as_ref().chars().count())
        .filter(|&n| n <= max)
        .max()
        .unwrap_or(0);
    for (a, b) in rows {
        let (a, b) = (a.as_ref(), b.as_ref());
        if a.chars().count() > max {
            writeln!(out, "  {a}")?;
            writeln!(out, "  {:w$}  {b}", "")?;
        } else {
            writeln!(out, "  {a:w$}  {b}")?;
        }
    }
    Ok(())
}

/// The filter language.
pub fn filter(out: &mut impl Write) -> io::Result<()> {
    writeln!(
        out,
        "The filter language (--filter, and / in the explorer). A trace matches when one of\n\
         its spans does; in a trace, matching spans show with their ancestors.\n"
    )?;
    table(out, REFERENCE, 40)?;
    writeln!(
        out,
        "\nShorthands: ls --failed = status:error, ls --slow 2s = self>=2s, --session ID = that\n\
         session exactly. Explorer: f toggles status:error, s toggles self>=… (+/- change it)."
    )
}

/// The explorer's keys, from the keymap in force (the user's keys file included).
pub fn keys(out: &mut impl Write, keymap: &Keymap) -> io::Result<()> {
    writeln!(
        out,
        "The explorer's keys (agtrace open). Rebind them in $XDG_CONFIG_HOME/agtrace/keys.toml."
    )?;
    for (ctx, title) in [
        (Context::Global, "everywhere"),
        (Context::List, "trace list, session view, slowest steps"),
        (Context::Trace, "trace view"),
    ] {
        writeln!(out, "\n{title}:")?;
        let rows: Vec<(String, String)> = keymap
            .help_rows()
            .into_iter()
            .filter(|(_, _, c)| *c == ctx)
            .map(|(k, d, _)| (k, d))
            .collect();
        table(out, &rows, 24)?;
    }
    Ok(())
}

/// The findings and how each is decided.
pub fn findings(out: &mut impl Write) -> io::Result<()> {
    writeln!(
        out,
        "Findings: what agtrace says is wrong with a trace (ls FINDINGS column, show, the\n\
         explorer's badges and e/E, stats --findings, filter finding:<kind>).\n"
    )?;
    table(out, crate::analysis::findings::RULES, 36)
}

/// What agtrace reads.
pub fn formats(out: &mut impl Write) -> io::Result<()> {
    writeln!(
        out,
        "What agtrace reads (any SOURCE of open, ls, show, import):\n"
    )?;
    table(out, FORMATS, 24)?;
    writeln!(
        out,
        "\nNot read (named when met): other SQLite databases, binary data, text logs."
    )
}
