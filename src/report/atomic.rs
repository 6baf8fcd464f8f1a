//! How outputs reach the disk: never partial, never clobbering, never leaving temporaries.
//!
//! Every output (a text file, a chart, a report folder) is first written to a hidden
//! `.valueflow-…` file or folder beside its destination (a [`Staged`] output), then put in place
//! by one operation:
//!
//! - **A new output** by a *no-replace rename* (`renameat2(RENAME_NOREPLACE)` on Linux,
//!   `renameatx_np(RENAME_EXCL)` on macOS). The kernel checks and renames in one step, so if
//!   anything appeared at the destination while rendering, the rename fails, the user's file
//!   or folder is left untouched and the staged copy is removed ([`WriteError::Appeared`]).
//!   Where the file system lacks the flag, a file is hard-linked (which fails if the name is
//!   taken) and the temporary unlinked; a folder claims its name with `mkdir` (which fails if
//!   the name is taken), then is renamed onto that empty folder of its own (`rename(2)`
//!   replaces only an *empty* folder, and fails if anything was put inside meanwhile).
//! - **`--force` onto a file** by `rename(2)`, which replaces the old file atomically: readers
//!   see the old file or the new one, never a mix.
//! - **`--force` onto a report folder** by a *checked exchange*
//!   (`renameat2(RENAME_EXCHANGE)`): the new folder and the old one swap names in one step;
//!   the old one, now at the staged name, is checked to be a folder (swapped back if it is not),
//!   then deleted. Without the flag, the old folder is renamed aside onto an empty hidden
//!   folder, the new one renamed in without replacing, and the old one put back if that fails.
//!   Either way the new folder is in place whole, or the old one is untouched.
//!
//! Staged paths are registered while they exist. On Ctrl-C (SIGINT), and on SIGTERM and SIGHUP
//! (what a scheduler sends a job it stops, or a closed terminal), the command line's handler
//! calls [`interrupted`], which removes them and exits with 130. Staging and committing hold the
//! registry's lock, so an interruption happens either before a commit (the temporaries are
//! removed, the destination is as it was) or after it (the output is complete), never half-way.

use std::io;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard, PoisonError};

/// Why an output was refused or could not be written.
#[derive(Debug, thiserror::Error)]
pub enum WriteError {
    /// The destination exists and replacing it was not asked for.
    #[error("{} already exists; pass --force to replace it, or choose another --out", .0.display())]
    Exists(PathBuf),
    /// Something appeared at the destination after the checks, while the output was rendered.
    #[error("{} appeared while rendering; nothing was written", .0.display())]
    Appeared(PathBuf),
    /// `--force` would replace a file or link with a report folder.
    #[error("{} is {what}; --force replaces a report folder, not {what}", path.display())]
    NotAFolder {
        /// The destination.
        path: PathBuf,
        /// What it is ("a file", "a symbolic link").
        what: &'static str,
    },
    /// `--force` would replace a folder that is not a report folder, losing what it holds.
    #[error("{} holds {what}, which is not part of a valueflow report; --force replaces only a report folder (its index.html, summary.json, charts and tables), so choose another --out, or move your files out first", path.display())]
    NotAReport {
        /// The destination.
        path: PathBuf,
        /// What in it is not from a report (`the file notes.txt`, `the folder data`).
        what: String,
    },
    /// `--force` would replace a folder with a file.
    #[error("{} is a folder; --force replaces a file, not a folder", .0.display())]
    NotAFile(PathBuf),
    /// `--force` would replace a device, a named pipe or a socket with a file.
    #[error("{} is {what}, not a regular file; --force replaces only a file, so choose another --out (or leave --out out to write to standard output)", path.display())]
    Special {
        /// The destination.
        path: PathBuf,
        /// What it is ("a device", "a named pipe", "a socket").
        what: &'static str,
    },
    /// The destination is the current folder or one of its parents.
    #[error("{} is the current folder or one of its parents, which cannot be replaced; choose another --out", .0.display())]
    Unreplaceable(PathBuf),
    /// The new folder is in place, but the old one could not be deleted.
    #[error("{} was replaced, but the old folder could not be deleted; it is at {}: {source}", dest.display(), old.display())]
    OldLeft {
        /// The destination, now holding the new output.
        dest: PathBuf,
        /// Where the old folder is.
        old: PathBuf,
        /// Why it could not be deleted.
        source: io::Error,
    },
    /// A file or folder could not be written.
    #[error("cannot write {}: {source}", path.display())]
    Io {
        /// Where.
        path: PathBuf,
        /// Why.
        source: io::Error,
    },
}

impl WriteError {
    /// True when the user's input (the destination) is the problem, not the system: exit 2.
    pub fn is_refusal(&self) -> bool {
        !matches!(self, WriteError::Io { .. } | WriteError::OldLeft { .. })
    }
}

fn io_at(path: &Path) -> impl FnOnce(io::Error) -> WriteError + '_ {
    move |source| WriteError::Io {
        path: path.to_path_buf(),
        source,
    }
}

/// The temporaries to remove on Ctrl-C.
static TEMPS: Mutex<Vec<PathBuf>> = Mutex::new(Vec::new());

fn temps() -> MutexGuard<'static, Vec<PathBuf>> {
    TEMPS.lock().unwrap_or_else(PoisonError::into_inner)
}

/// Removes every staged temporary and ends the process with exit code 130 (128 + SIGINT, as a
/// shell reports a program stopped by Ctrl-C). For the Ctrl-C handler, which runs it on a thread
/// of its own (not inside the signal handler), so it may allocate and do I/O. It keeps the
/// registry's lock until the exit, so no thread stages or commits anything meanwhile.
pub fn interrupted() -> ! {
    let temps = temps();
    for path in temps.iter() {
        remove(path);
    }
    // Standard error may be closed already (`… 2>&1 | head`): nothing to report then.
    let _ = io::Write::write_all(&mut io::stderr().lock(), b"\ninterrupted\n");
    std::process::exit(130)
}

/// Removes a temporary file or folder, if it is there. Retries a few times: after Ctrl-C,
/// another thread may still be adding a file to a staged folder.
fn remove(path: &Path) {
    for _ in 0..20 {
        let done = match std::fs::symlink_metadata(path) {
            Err(_) => return,
            Ok(m) if m.is_dir() => std::fs::remove_dir_all(path),
            Ok(_) => std::fs::remove_file(path),
        };
        if done.is_ok() {
            return;
        }
    }
}

/// The path as the system should see it: `out/` and `out/.` name `out`.
fn normalized(path: &Path) -> PathBuf {
    path.components().collect()
}

/// The folder a destination's temporaries are staged in: its parent (the same file system, so
/// the final rename is possible).
fn parent_of(path: &Path) -> &Path {
    match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    }
}

/// True when replacing `path` would replace the current folder or one of its parents (`.`,
/// `..`, `/`, or any spelling of them).
fn contains_cwd(path: &Path) -> bool {
    if path.file_name().is_none() {
        return true;
    }
    let cwd = std::env::current_dir().and_then(std::fs::canonicalize);
    match (cwd, std::fs::canonicalize(path)) {
        (Ok(cwd), Ok(dest)) => cwd.starts_with(dest),
        _ => false,
    }
}

/// Checks, before a long run, that a single-file output may be written at `dest`: it does not
/// exist, or `force` is given and it is not a folder. The commit checks again.
pub fn check_file(dest: &Path, force: bool) -> Result<(), WriteError> {
    let Ok(meta) = std::fs::symlink_metadata(normalized(dest)) else {
        return Ok(());
    };
    if !force {
        return Err(WriteError::Exists(dest.to_path_buf()));
    }
    not_a_file(dest, &meta).map_or(Ok(()), Err)
}

/// Why `--force` may not replace what is at `dest` with a file, if it may not: a folder, or
/// anything that is neither a regular file nor a symbolic link (renaming over `/dev/null`
/// would replace the device with a file).
fn not_a_file(dest: &Path, meta: &std::fs::Metadata) -> Option<WriteError> {
    let t = meta.file_type();
    if t.is_dir() {
        return Some(WriteError::NotAFile(dest.to_path_buf()));
    }
    if t.is_file() || t.is_symlink() {
        return None;
    }
    #[cfg(unix)]
    let what = {
        use std::os::unix::fs::FileTypeExt;
        if t.is_fifo() {
            "a named pipe"
        } else if t.is_socket() {
            "a socket"
        } else {
            "a device"
        }
    };
    #[cfg(not(unix))]
    let what = "not a file";
    Some(WriteError::Special {
        path: dest.to_path_buf(),
        what,
    })
}

/// Checks, before a long run, that a report folder may be written at `dest`: it is not the
/// current folder or a parent of it, and it does not exist, or `force` is given and it is a
/// folder (not a file or a symbolic link). The commit checks again.
pub fn check_folder(dest: &Path, force: bool) -> Result<(), WriteError> {
    if contains_cwd(dest) {
        return Err(WriteError::Unreplaceable(dest.to_path_buf()));
    }
    let Ok(meta) = std::fs::symlink_metadata(normalized(dest)) else {
        return Ok(());
    };
    if !force {
        return Err(WriteError::Exists(dest.to_path_buf()));
    }
    if let Some(e) = not_a_folder(dest, &meta) {
        return Err(e);
    }
    match not_from_a_report(&normalized(dest)) {
        Some(what) => Err(WriteError::NotAReport {
            path: dest.to_path_buf(),
            what,
        }),
        None => Ok(()),
    }
}

/// What in folder `dir` a report did not write, if anything: a report folder is empty, or
/// holds `index.html`, `summary.json` and otherwise only files a report writes
/// ([`super::pack::is_report_file`]): a scenario file, notes, data or a subfolder there are
/// someone's work, which `--force` must not delete.
fn not_from_a_report(dir: &Path) -> Option<String> {
    let entries = match std::fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(e) => return Some(format!("entries that cannot be listed ({e})")),
    };
    let Ok(mut entries) = entries.collect::<Result<Vec<_>, _>>() else {
        return Some("entries that cannot be listed".into());
    };
    // In name order, so that the same folder is always refused for the same file.
    entries.sort_by_key(|e| e.file_name());
    let mut names = Vec::new();
    for entry in entries {
        let name = entry.file_name().to_string_lossy().into_owned();
        let is_file = entry.file_type().is_ok_and(|t| t.is_file());
        if !is_file {
            return Some(format!("the folder or link {name}"));
        }
        if !super::pack::is_report_file(&name) {
            return Some(format!("the file {name}"));
        }
        if !super::pack::is_system_file(&name) {
            names.push(name);
        }
    }
    let has = |n: &str| names.iter().any(|x| x == n);
    if names.is_empty() || (has("index.html") && has("summary.json")) {
        None
    } else {
        Some(format!(
            "{} file{} but no index.html and summary.json",
            names.len(),
            if names.len() == 1 { "" } else { "s" }
        ))
    }
}

fn not_a_folder(dest: &Path, meta: &std::fs::Metadata) -> Option<WriteError> {
    let what = if meta.is_dir() {
        return None;
    } else if meta.file_type().is_symlink() {
        "a symbolic link"
    } else {
        "a file"
    };
    Some(WriteError::NotAFolder {
        path: dest.to_path_buf(),
        what,
    })
}

/// Writes `bytes` to a new file at `dest` (replacing a file there only with `force`), through a
/// staged temporary file: see the module documentation.
pub fn write_file(dest: &Path, bytes: &[u8], force: bool) -> Result<(), WriteError> {
    use std::io::Write;
    let staged = Staged::file(dest)?;
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .truncate(true)
        .open(staged.path())
        .map_err(io_at(dest))?;
    f.write_all(bytes)
        .and_then(|()| f.sync_all())
        .map_err(io_at(dest))?;
    drop(f);
    staged.commit(force)
}

/// A temporary file or folder beside its destination, registered for Ctrl-C. Dropped without
/// [`Staged::commit`], it is removed.
#[derive(Debug)]
pub struct Staged {
    path: PathBuf,
    dest: PathBuf,
    folder: bool,
    registered: bool,
}

#[cfg(unix)]
fn mode(bits: u32) -> std::fs::Permissions {
    use std::os::unix::fs::PermissionsExt;
    std::fs::Permissions::from_mode(bits)
}

impl Staged {
    /// An empty temporary file for `dest`, ending in the same extension (a PNG encoder picks
    /// the format from it). Created with mode 0666 less the umask, so the output gets the
    /// usual permissions (0644 under umask 022), like any file a program creates.
    pub fn file(dest: &Path) -> Result<Staged, WriteError> {
        let dest = normalized(dest);
        let suffix = dest
            .extension()
            .map(|e| format!(".{}", e.to_string_lossy()))
            .unwrap_or_default();
        let mut builder = tempfile::Builder::new();
        builder.prefix(".valueflow-").suffix(&suffix);
        #[cfg(unix)]
        builder.permissions(mode(0o666));
        Staged::new(dest, false, |dir| {
            let tmp = builder.tempfile_in(dir)?;
            tmp.into_temp_path().keep().map_err(|e| e.error)
        })
    }

    /// An empty temporary folder for `dest`, created with mode 0777 less the umask (0755 under
    /// umask 022).
    pub fn folder(dest: &Path) -> Result<Staged, WriteError> {
        let dest = normalized(dest);
        let mut builder = tempfile::Builder::new();
        builder.prefix(".valueflow-report-");
        #[cfg(unix)]
        builder.permissions(mode(0o777));
        Staged::new(dest, true, |dir| Ok(builder.tempdir_in(dir)?.keep()))
    }

    fn new(
        dest: PathBuf,
        folder: bool,
        create: impl FnOnce(&Path) -> io::Result<PathBuf>,
    ) -> Result<Staged, WriteError> {
        // Created and registered under the lock: Ctrl-C either comes before (nothing to
        // remove) or sees it.
        let mut temps = temps();
        let path = create(parent_of(&dest)).map_err(io_at(&dest))?;
        temps.push(path.clone());
        Ok(Staged {
            path,
            dest,
            folder,
            registered: true,
        })
    }

    /// Where to write the output.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Puts the finished output in place: by a no-replace rename, or with `force` by a rename
    /// over a file or an exchange with a folder (see the module documentation). On error the
    /// destination is as it was and the temporary is removed.
    pub fn commit(mut self, force: bool) -> Result<(), WriteError> {
        let mut temps = temps();
        let result = if self.folder {
            commit_folder(&self.path, &self.dest, force)
        } else {
            commit_file(&self.path, &self.dest, force)
        };
        temps.retain(|p| *p != self.path);
        self.registered = false;
        result
    }
}

impl Drop for Staged {
    fn drop(&mut self) {
        if self.registered {
            // Removed first, then unregistered: Ctrl-C in between finds nothing to remove.
            remove(&self.path);
            temps().retain(|p| *p != self.path);
        }
    }
}

fn commit_file(staged: &Path, dest: &Path, force: bool) -> Result<(), WriteError> {
    let done = if force {
        // Checked again here: what the early check saw may have changed while rendering.
        if let Some(refusal) = std::fs::symlink_metadata(dest)
            .ok()
            .and_then(|m| not_a_file(dest, &m))
        {
            remove(staged);
            return Err(refusal);
        }
        std::fs::rename(staged, dest)
    } else {
        sys::rename_noreplace(staged, dest, false)
    };
    done.map_err(|e| {
        remove(staged);
        if e.kind() == io::ErrorKind::AlreadyExists {
            WriteError::Appeared(dest.to_path_buf())
        } else if std::fs::symlink_metadata(dest).is_ok_and(|m| m.is_dir()) {
            WriteError::NotAFile(dest.to_path_buf())
        } else {
            WriteError::Io {
                path: dest.to_path_buf(),
                source: e,
            }
        }
    })
}

/// A no-replace rename of a folder, with the errors mapped for the user.
fn place_folder(staged: &Path, dest: &Path) -> Result<(), WriteError> {
    sys::rename_noreplace(staged, dest, true).map_err(|e| {
        if e.kind() == io::ErrorKind::AlreadyExists {
            WriteError::Appeared(dest.to_path_buf())
        } else {
            WriteError::Io {
                path: dest.to_path_buf(),
                source: e,
            }
        }
    })
}

fn commit_folder(staged: &Path, dest: &Path, force: bool) -> Result<(), WriteError> {
    let existing = std::fs::symlink_metadata(dest).ok();
    let Some(meta) = existing.filter(|_| force) else {
        let placed = place_folder(staged, dest);
        if placed.is_err() {
            remove(staged);
        }
        return placed;
    };
    if let Some(e) = not_a_folder(dest, &meta) {
        remove(staged);
        return Err(e);
    }
    if let Err(e) = deletable(dest) {
        remove(staged);
        return Err(e);
    }
    match sys::exchange(staged, dest) {
        Ok(()) => {
            // `staged` now holds what was at `dest`: make sure it is the folder checked above,
            // not something put there since.
            if let Ok(m) = std::fs::symlink_metadata(staged) {
                if let Some(e) = not_a_folder(dest, &m) {
                    if sys::exchange(staged, dest).is_ok() {
                        remove(staged);
                    }
                    return Err(e);
                }
            }
            std::fs::remove_dir_all(staged).map_err(|source| WriteError::OldLeft {
                dest: dest.to_path_buf(),
                old: staged.to_path_buf(),
                source,
            })
        }
        // The old folder went away meanwhile: nothing to replace.
        Err(e) if e.kind() == io::ErrorKind::NotFound => {
            let placed = place_folder(staged, dest);
            if placed.is_err() {
                remove(staged);
            }
            placed
        }
        Err(e) if e.kind() == io::ErrorKind::Unsupported => move_aside(staged, dest),
        Err(source) => {
            remove(staged);
            Err(WriteError::Io {
                path: dest.to_path_buf(),
                source,
            })
        }
    }
}

/// `--force` onto a folder without an atomic exchange: the old folder is renamed onto an empty
/// hidden folder of its own, the new one renamed in without replacing, and the old one put back
/// if that fails; only then is the old one deleted.
fn move_aside(staged: &Path, dest: &Path) -> Result<(), WriteError> {
    let fail = |e: WriteError| {
        remove(staged);
        Err(e)
    };
    let aside = match tempfile::Builder::new()
        .prefix(".valueflow-old-")
        .tempdir_in(parent_of(dest))
    {
        Ok(d) => d.keep(),
        Err(e) => return fail(io_at(dest)(e)),
    };
    // A folder replaces an empty folder; a file cannot, so only a folder is moved aside.
    if let Err(e) = std::fs::rename(dest, &aside) {
        let _ = std::fs::remove_dir(&aside);
        let refusal = std::fs::symlink_metadata(dest)
            .ok()
            .and_then(|m| not_a_folder(dest, &m));
        return fail(refusal.unwrap_or_else(|| io_at(dest)(e)));
    }
    if let Err(e) = place_folder(staged, dest) {
        // Put the old folder back. If even that fails, say where it is.
        if let Err(source) = sys::rename_noreplace(&aside, dest, true) {
            remove(staged);
            return Err(WriteError::Io {
                path: dest.to_path_buf(),
                source: io::Error::new(
                    source.kind(),
                    format!(
                        "{e}; the old folder could not be put back and is at {}: {source}",
                        aside.display()
                    ),
                ),
            });
        }
        return fail(e);
    }
    std::fs::remove_dir_all(&aside).map_err(|source| WriteError::OldLeft {
        dest: dest.to_path_buf(),
        old: aside,
        source,
    })
}

/// Checks that the folder at `dest` and everything in it could be deleted, before replacing
/// it: a folder that cannot be emptied would be left half-deleted.
fn deletable(dest: &Path) -> Result<(), WriteError> {
    fn walk(dir: &Path) -> Result<(), (PathBuf, io::Error)> {
        sys::can_empty(dir).map_err(|e| (dir.to_path_buf(), e))?;
        for entry in std::fs::read_dir(dir).map_err(|e| (dir.to_path_buf(), e))? {
            let entry = entry.map_err(|e| (dir.to_path_buf(), e))?;
            if entry.file_type().is_ok_and(|t| t.is_dir()) {
                walk(&entry.path())?;
            }
        }
        Ok(())
    }
    walk(dest).map_err(|(path, e)| WriteError::Io {
        path: dest.to_path_buf(),
        source: io::Error::new(
            e.kind(),
            format!(
                "it cannot be replaced because {} cannot be emptied ({e}); nothing was written",
                path.display()
            ),
        ),
    })
}

#[cfg(any(target_os = "linux", target_os = "android", target_vendor = "apple"))]
mod sys {
    use rustix::fs::{renameat_with, RenameFlags, CWD};
    use rustix::io::Errno;
    use std::io;
    use std::path::Path;

    /// Renames `from` to `to` unless `to` exists (error kind `AlreadyExists`).
    pub fn rename_noreplace(from: &Path, to: &Path, folder: bool) -> io::Result<()> {
        match renameat_with(CWD, from, CWD, to, RenameFlags::NOREPLACE) {
            Ok(()) => Ok(()),
            // The file system lacks the flag.
            Err(Errno::INVAL | Errno::NOSYS | Errno::NOTSUP) => {
                super::portable::rename_noreplace(from, to, folder)
            }
            Err(e) => Err(e.into()),
        }
    }

    /// Swaps the names of `a` and `b` in one step (`Unsupported` where that is not possible).
    pub fn exchange(a: &Path, b: &Path) -> io::Result<()> {
        match renameat_with(CWD, a, CWD, b, RenameFlags::EXCHANGE) {
            Ok(()) => Ok(()),
            Err(Errno::INVAL | Errno::NOSYS | Errno::NOTSUP) => {
                Err(io::ErrorKind::Unsupported.into())
            }
            Err(e) => Err(e.into()),
        }
    }

    pub use super::portable::can_empty;
}

#[cfg(not(any(target_os = "linux", target_os = "android", target_vendor = "apple")))]
mod sys {
    use std::io;
    use std::path::Path;

    pub use super::portable::{can_empty, rename_noreplace};

    pub fn exchange(_: &Path, _: &Path) -> io::Result<()> {
        Err(io::ErrorKind::Unsupported.into())
    }
}

/// No-replace renames from operations every file system has.
mod portable {
    use std::io;
    use std::path::Path;

    pub fn rename_noreplace(from: &Path, to: &Path, folder: bool) -> io::Result<()> {
        if !folder {
            // A hard link fails if the name is taken.
            std::fs::hard_link(from, to)?;
            let _ = std::fs::remove_file(from);
            return Ok(());
        }
        // Claim the name: mkdir fails if it is taken. Then rename onto that empty folder of
        // our own, which rename(2) allows, and refuses if anything was put inside meanwhile.
        std::fs::create_dir(to)?;
        std::fs::rename(from, to).map_err(|e| {
            let _ = std::fs::remove_dir(to);
            match e.kind() {
                io::ErrorKind::DirectoryNotEmpty | io::ErrorKind::NotADirectory => {
                    io::ErrorKind::AlreadyExists.into()
                }
                _ => e,
            }
        })
    }

    /// Whether the entries of `dir` can be deleted: it must be readable, writable and
    /// searchable.
    #[cfg(unix)]
    pub fn can_empty(dir: &Path) -> io::Result<()> {
        use rustix::fs::{access, Access};
        Ok(access(
            dir,
            Access::READ_OK | Access::WRITE_OK | Access::EXEC_OK,
        )?)
    }

    #[cfg(not(unix))]
    pub fn can_empty(_: &Path) -> io::Result<()> {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    //! The fallbacks for file systems without `renameat2`'s flags; on Linux the integration
    //! tests (`tests/integration/writes.rs`) go through the flags themselves.
    use super::*;

    fn names(dir: &Path) -> Vec<String> {
        let mut v: Vec<String> = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        v.sort();
        v
    }

    #[test]
    fn the_portable_no_replace_rename_of_a_file_never_clobbers() {
        let dir = tempfile::tempdir().unwrap();
        let (a, b) = (dir.path().join("a"), dir.path().join("b"));
        std::fs::write(&a, "new").unwrap();
        std::fs::write(&b, "mine").unwrap();
        let e = portable::rename_noreplace(&a, &b, false).unwrap_err();
        assert_eq!(e.kind(), io::ErrorKind::AlreadyExists);
        assert_eq!(std::fs::read_to_string(&b).unwrap(), "mine");
        std::fs::remove_file(&b).unwrap();
        portable::rename_noreplace(&a, &b, false).unwrap();
        assert_eq!(names(dir.path()), ["b"]);
    }

    #[test]
    fn the_portable_no_replace_rename_of_a_folder_never_clobbers() {
        let dir = tempfile::tempdir().unwrap();
        let (a, b) = (dir.path().join("a"), dir.path().join("b"));
        std::fs::create_dir(&a).unwrap();
        std::fs::write(a.join("index.html"), "new").unwrap();
        // An empty folder, a folder with a file, a file: each stays as it was.
        std::fs::create_dir(&b).unwrap();
        let e = portable::rename_noreplace(&a, &b, true).unwrap_err();
        assert_eq!(e.kind(), io::ErrorKind::AlreadyExists);
        assert!(names(&b).is_empty());
        std::fs::write(b.join("notes.txt"), "mine").unwrap();
        assert!(portable::rename_noreplace(&a, &b, true).is_err());
        assert_eq!(names(&b), ["notes.txt"]);
        std::fs::remove_dir_all(&b).unwrap();
        std::fs::write(&b, "mine").unwrap();
        assert!(portable::rename_noreplace(&a, &b, true).is_err());
        assert_eq!(std::fs::read_to_string(&b).unwrap(), "mine");
        std::fs::remove_file(&b).unwrap();
        portable::rename_noreplace(&a, &b, true).unwrap();
        assert_eq!(names(dir.path()), ["b"]);
        assert_eq!(names(&b), ["index.html"]);
    }

    #[test]
    fn moving_aside_replaces_a_folder_whole_or_not_at_all() {
        let dir = tempfile::tempdir().unwrap();
        let dest = dir.path().join("report");
        std::fs::create_dir(&dest).unwrap();
        std::fs::write(dest.join("notes.txt"), "old").unwrap();
        let staged = dir.path().join(".valueflow-report-x");
        std::fs::create_dir(&staged).unwrap();
        std::fs::write(staged.join("index.html"), "new").unwrap();
        move_aside(&staged, &dest).unwrap();
        assert_eq!(names(dir.path()), ["report"]);
        assert_eq!(names(&dest), ["index.html"]);

        // A file is never moved aside: refused, and the staged folder removed.
        let file = dir.path().join("notes.txt");
        std::fs::write(&file, "mine").unwrap();
        std::fs::create_dir(&staged).unwrap();
        let e = move_aside(&staged, &file).unwrap_err();
        assert!(matches!(e, WriteError::NotAFolder { .. }), "{e}");
        assert_eq!(std::fs::read_to_string(&file).unwrap(), "mine");
        assert_eq!(names(dir.path()), ["notes.txt", "report"]);
    }
}
