//! Writing output files without ever leaving a partial file or clobbering a user's file.

use super::CliError;
use anyhow::Context;
use std::io::Write;
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
    let dir = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    let mut tmp = tempfile::Builder::new()
        .prefix(".valueflow-")
        .tempfile_in(dir)
        .with_context(|| format!("cannot create a temporary file in {}", dir.display()))?;
    tmp.write_all(bytes)
        .and_then(|_| tmp.as_file().sync_all())
        .with_context(|| format!("cannot write {}", path.display()))?;
    let persisted = if force {
        tmp.persist(path).map(|_| ())
    } else {
        tmp.persist_noclobber(path).map(|_| ())
    };
    persisted.map_err(|e| {
        if e.error.kind() == std::io::ErrorKind::AlreadyExists {
            CliError::Input(format!(
                "{} already exists; pass --force to replace it",
                path.display()
            ))
        } else {
            CliError::Runtime(
                anyhow::Error::new(e.error).context(format!("cannot write {}", path.display())),
            )
        }
    })
}
