//! The `valueflow` binary: parses arguments, runs, prints errors once, exits with the
//! documented code (0 ok, 1 run failed, 2 bad input).
//!
//! Errors are drawn for standard error (see docs/errors.md): with source snippets on a
//! terminal, compactly otherwise, and never more than a few lines per problem. Standard error
//! closed early is not a failure: the exit code is the command's either way.

use clap::Parser;
use std::io::Write;
use valueflow::cli::CliError;
use valueflow::scenario::message::{tidy, Style};

fn main() {
    let cli = valueflow::cli::Cli::parse();
    if let Err(e) = valueflow::cli::main(cli) {
        let msg = match &e {
            CliError::Scenario(e) => e.render(Style::for_stderr()),
            other => {
                let mut msg = format!("error: {}", tidy(&other.to_string()));
                let mut source = std::error::Error::source(other);
                while let Some(cause) = source {
                    let text = tidy(&cause.to_string());
                    if !msg.contains(&text) {
                        msg.push_str(&format!("\n  caused by: {text}"));
                    }
                    source = cause.source();
                }
                msg
            }
        };
        // A closed standard error (`valueflow … 2>&1 | head`) must not turn a refusal into a
        // panic: the message is dropped and the exit code stays the command's.
        let _ = writeln!(std::io::stderr().lock(), "{msg}");
        std::process::exit(e.exit_code());
    }
}
