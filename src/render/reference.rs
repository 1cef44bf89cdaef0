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

/// The redaction rules (`export --redact`, `show --format markdown`, the explorer's
/// privacy mode and summaries, `mcp`).
pub fn redaction(out: &mut impl Write) -> io::Result<()> {
    writeln!(
        out,
        "Redaction (export --redact, show --format markdown, the explorer's p and x, mcp):\n\n\
         By design — names, shapes and randomness — in every string: values, map and\n\
         JSON keys, names, scope names and versions, trace states, status messages.\n\n\
         Names: an attribute whose key's last words name a secret, in any spelling\n\
         (DB_PASSWORD, x-auth-token, openaiApiKey, aws_secret_access_key, sig: words\n\
         password, secret, token, credential, cookie, authorization, auth, signature,\n\
         sig, sas, or key after api/secret/private/access/client/session…) becomes\n\
         [redacted:secret]; NAME=value, NAME: value, \"NAME\": \"value\" and ?NAME=value\n\
         in text lose the value. Opaque bytes values become [redacted bytes, N bytes].\n\n\
         Shapes and randomness, replaced by [redacted:RULE] wherever they appear:\n  {}\n\
         (provider key formats; webhook URLs; passwords and tokens in URLs; emails,\n\
         cards, IPs, phones; random tokens of 20+ characters mixing cases and digits\n\
         after a short prefix, in a URL's query or user name, or after `token`; base64\n\
         hiding any of these). Ids, hashes, numbers and timestamps stay readable.\n\n\
         Content: message and tool payload attributes (gen_ai.input.messages,\n\
         gen_ai.output.messages, gen_ai.tool.call.arguments/result, input.value,\n\
         output.value, gen_ai.prompt/completion and their flattened forms, *.content,\n\
         *.arguments…) keep their JSON shape, roles, types, tool and function names and\n\
         numbers; every other text becomes [redacted text, LENGTH CLASS]. --keep-content\n\
         keeps the text (the patterns still apply inside it).\n\n\
         Your own rules: a TOML file given with --redact-rules FILE or AGTRACE_REDACT_RULES:\n\n\
           allow = [\"@example\\\\.com$\", \"^10\\\\.\"]   # values never redacted (regex)\n\
           content_keys = [\"app.prompt\"]          # more keys holding content\n\
           [[rule]]\n\
           name = \"ticket\"\n\
           pattern = \"TICKET-[0-9]{{4,}}\"",
        crate::redact::RULE_NAMES.join(", ")
    )
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
        "\nSpan record layouts, told apart by the fields of the first record (the first that\nmatches, in this order):\n"
    )?;
    for line in crate::source::layouts_help() {
        writeln!(out, "{line}")?;
    }
    writeln!(
        out,
        "\nNot read (named when met): other SQLite databases, binary data, text logs."
    )
}
