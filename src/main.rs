//! The `agtrace` binary: parse the command line, run it, map the outcome to an exit code.

use clap::Parser as _;
use std::process::ExitCode;

/// Running out of memory says how far the load got and what to try, instead of
/// aborting (`agtrace::oom`).
#[global_allocator]
static ALLOCATOR: agtrace::oom::Guarded = agtrace::oom::Guarded;

fn main() -> ExitCode {
    // `agtrace FILE …` is `agtrace open FILE …`.
    let mut args: Vec<std::ffi::OsString> = std::env::args_os().collect();
    if let Some(first) = args.get(1).and_then(|a| a.to_str()) {
        let known = [
            "open", "ls", "show", "diff", "stats", "import", "export", "mcp", "help",
        ];
        let is_flag = first.starts_with('-') && first != "-";
        if !known.contains(&first) && !is_flag {
            if let Some(cmd) = close_command(first, &known) {
                eprintln!(
                    "agtrace: {:?} is neither a file nor a command; did you mean `agtrace {cmd}`?",
                    agtrace::sanitize::sanitize(first)
                );
                return ExitCode::from(agtrace::commands::exit::USAGE);
            }
            args.insert(1, "open".into());
        }
    }
    let cli = agtrace::cli::Cli::parse_from(args);
    match agtrace::commands::run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            let code = e.exit_code();
            if code != agtrace::commands::exit::OK {
                // Every error's message already names the input and the cause.
                let msg = anyhow::Error::from(e);
                eprintln!(
                    "agtrace: {}",
                    agtrace::sanitize::sanitize_multiline(&msg.to_string())
                );
            }
            ExitCode::from(code)
        }
    }
}

/// The subcommand a mistyped first word was meant to be (`sho`, `stat`, `lss`): one
/// edit away (two for the longer names), and not a file, `-` or a backend URL, which
/// `agtrace WORD` opens.
fn close_command<'a>(word: &str, known: &[&'a str]) -> Option<&'a str> {
    if word == "-"
        || word.contains(['/', '.', ':'])
        || std::path::Path::new(word).exists()
        || agtrace::backend::Backend::is_url(word)
    {
        return None;
    }
    known
        .iter()
        .map(|k| (strsim::damerau_levenshtein(word, k), *k))
        .filter(|&(d, k)| d <= if k.len() > 4 { 2 } else { 1 })
        .min_by_key(|&(d, _)| d)
        .map(|(_, k)| k)
}
