//! Writing output files without ever leaving a partial file or clobbering a user's file.

use super::CliError;
use std::path::Path;

/// Refuses early (before a long run) when `path` exists and `force` is not given.
pub fn check_writable(path: &Path, force: bool) -> Result<(), CliError> {
    if path.exists() && !force {
        return Err(CliError::Input(format!(
            "{} already exists; pass --force to replace it, or choose another --out",
            path.display()
        )));
    }
    Ok(())
}

/// Writes `bytes` to a temporary file beside `path`, then renames it into place.
pub fn write_atomically(path: &Path, bytes: &[u8], force: bool) -> Result<(), CliError> {
    check_writable(path, force)?;
    crate::report::write_atomically(path, bytes, force).map_err(|e| {
        if e.kind() == std::io::ErrorKind::AlreadyExists {
            CliError::Input(format!(
                "{} already exists; pass --force to replace it",
                path.display()
            ))
        } else {
            CliError::Runtime(
                anyhow::Error::new(e).context(format!("cannot write {}", path.display())),
            )
        }
    })
}
