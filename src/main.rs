//! The `agtrace` binary: parse the command line, run it, map the outcome to an exit code.

use clap::Parser as _;
use std::process::ExitCode;

fn main() -> ExitCode {
    let cli = agtrace::cli::Cli::parse();
    match agtrace::commands::run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            let code = e.exit_code();
            if code != agtrace::commands::exit::OK {
                // Every error's message already names the input and the cause.
                let msg = anyhow::Error::from(e);
                eprintln!(
                    "agtrace: {}",
                    agtrace::render::sanitize_multiline(&msg.to_string())
                );
            }
            ExitCode::from(code)
        }
    }
}
