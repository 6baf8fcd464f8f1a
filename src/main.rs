//! The `valueflow` binary: parses arguments, runs, prints errors once, exits with the
//! documented code (0 ok, 1 run failed, 2 bad input).

use clap::Parser;

fn main() {
    let cli = valueflow::cli::Cli::parse();
    if let Err(e) = valueflow::cli::main(cli) {
        let mut msg = format!("error: {e}");
        let mut source = std::error::Error::source(&e);
        while let Some(s) = source {
            if !msg.contains(&s.to_string()) {
                msg.push_str(&format!("\n  caused by: {s}"));
            }
            source = s.source();
        }
        eprintln!("{msg}");
        std::process::exit(e.exit_code());
    }
}
