//! Writing output files without ever leaving a partial file, clobbering a user's file, or
//! leaving temporaries behind, even on Ctrl-C. The mechanics are in [`crate::report::atomic`].

use super::CliError;
use crate::report::atomic::{self, WriteError};
use std::path::Path;

/// Installs the handler of Ctrl-C (SIGINT), SIGTERM and SIGHUP, once per process: it removes the
/// temporary files and folders of a write in progress and exits with 130. `ctrlc` runs it on a thread of its own,
/// not inside the signal handler, so the cleanup may do ordinary I/O.
pub fn clean_up_on_interrupt() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        // Without a handler (e.g. one is already set), Ctrl-C ends the process as before.
        let _ = ctrlc::set_handler(|| atomic::interrupted());
    });
}

/// The exit code a write error maps to: 2 when the destination is refused, 1 when writing failed.
pub fn write_error(e: WriteError) -> CliError {
    if e.is_refusal() {
        CliError::Input(e.to_string())
    } else {
        CliError::Runtime(anyhow::Error::new(e))
    }
}

/// Refuses early (before a long run) a single-file `--out` that exists without `force`, or
/// that is a folder.
pub fn check_writable(path: &Path, force: bool) -> Result<(), CliError> {
    atomic::check_file(path, force).map_err(write_error)
}

/// Refuses early (before a long run) a report folder `--out` that exists without `force`, that
/// is a file or a link, or that is the current folder or one of its parents.
pub fn check_folder(path: &Path, force: bool) -> Result<(), CliError> {
    atomic::check_folder(path, force).map_err(write_error)
}

/// Writes `bytes` to a temporary file beside `path`, then puts it in place without replacing
/// anything unless `force`.
pub fn write_atomically(path: &Path, bytes: &[u8], force: bool) -> Result<(), CliError> {
    check_writable(path, force)?;
    atomic::write_file(path, bytes, force).map_err(write_error)
}

/// Writes one line of diagnostics (a warning, or what was written) to standard error. A reader
/// that closed it early (`valueflow … 2>&1 | head`) is not a failure of the command, and there
/// is nowhere left to report one: the line is dropped, and the exit code stays the command's.
pub(super) fn note(line: std::fmt::Arguments<'_>) {
    use std::io::Write;
    let _ = writeln!(std::io::stderr().lock(), "{line}");
}
