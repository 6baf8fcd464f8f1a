//! Output writes (issue 9, "Writes and exits"): outputs appear only by a no-replace rename or a
//! checked exchange, `--force` fully succeeds or leaves the old output, temporaries never
//! survive an error or Ctrl-C, and outputs get the usual permissions.

use super::root;
use assert_cmd::Command;
use predicates::prelude::*;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use valueflow::report::atomic::{Staged, WriteError};
use valueflow::report::pack;

fn valueflow() -> Command {
    let mut c = Command::cargo_bin("valueflow").unwrap();
    c.current_dir(root());
    c
}

fn scenario(name: &str) -> PathBuf {
    root().join("scenarios").join(name)
}

/// The entries of `dir`, sorted.
fn names(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    v.sort();
    v
}

/// Fails if a `.valueflow-…` temporary is left in `dir`.
fn no_temporaries(dir: &Path) {
    let left: Vec<String> = names(dir)
        .into_iter()
        .filter(|n| n.starts_with(".valueflow-"))
        .collect();
    assert!(
        left.is_empty(),
        "temporaries left in {}: {left:?}",
        dir.display()
    );
}

#[test]
fn a_file_that_appears_during_the_render_is_not_clobbered() {
    let dir = tempfile::tempdir().unwrap();
    let dest = dir.path().join("chart.png");
    let staged = Staged::file(&dest).unwrap();
    std::fs::write(staged.path(), "rendered").unwrap();
    // The user saves a file there after the check, while the chart is drawn.
    std::fs::write(&dest, "mine").unwrap();
    let e = staged.commit(false).unwrap_err();
    assert!(matches!(e, WriteError::Appeared(_)), "{e}");
    assert!(e.is_refusal(), "exit 2");
    assert!(e
        .to_string()
        .contains("appeared while rendering; nothing was written"));
    assert_eq!(std::fs::read_to_string(&dest).unwrap(), "mine");
    no_temporaries(dir.path());
}

#[test]
fn a_folder_that_appears_during_the_render_is_not_clobbered() {
    let dir = tempfile::tempdir().unwrap();
    let dest = dir.path().join("report");
    for existing in ["empty folder", "folder with notes", "file"] {
        let staged = Staged::folder(&dest).unwrap();
        std::fs::write(staged.path().join("index.html"), "new").unwrap();
        match existing {
            "empty folder" => std::fs::create_dir(&dest).unwrap(),
            "folder with notes" => {
                std::fs::create_dir(&dest).unwrap();
                std::fs::write(dest.join("notes.txt"), "mine").unwrap();
            }
            _ => std::fs::write(&dest, "mine").unwrap(),
        }
        let e = staged.commit(false).unwrap_err();
        assert!(matches!(e, WriteError::Appeared(_)), "{existing}: {e}");
        match existing {
            "empty folder" => assert!(names(&dest).is_empty()),
            "folder with notes" => {
                assert_eq!(names(&dest), ["notes.txt"]);
                assert_eq!(
                    std::fs::read_to_string(dest.join("notes.txt")).unwrap(),
                    "mine"
                );
            }
            _ => assert_eq!(std::fs::read_to_string(&dest).unwrap(), "mine"),
        }
        no_temporaries(dir.path());
        if dest.is_dir() {
            std::fs::remove_dir_all(&dest).unwrap();
        } else {
            std::fs::remove_file(&dest).unwrap();
        }
    }
}

#[test]
fn force_swaps_a_folder_in_whole_and_deletes_the_old_one() {
    let dir = tempfile::tempdir().unwrap();
    let dest = dir.path().join("report");
    std::fs::create_dir(&dest).unwrap();
    std::fs::write(dest.join("notes.txt"), "old").unwrap();
    let staged = Staged::folder(&dest).unwrap();
    std::fs::write(staged.path().join("index.html"), "new").unwrap();
    staged.commit(true).unwrap();
    assert_eq!(names(&dest), ["index.html"]);
    assert_eq!(names(dir.path()), ["report"]);
}

#[test]
fn force_never_replaces_a_file_put_where_the_folder_was() {
    let dir = tempfile::tempdir().unwrap();
    let dest = dir.path().join("report");
    let staged = Staged::folder(&dest).unwrap();
    std::fs::write(staged.path().join("index.html"), "new").unwrap();
    std::fs::write(&dest, "mine").unwrap();
    let e = staged.commit(true).unwrap_err();
    assert!(matches!(e, WriteError::NotAFolder { .. }), "{e}");
    assert!(e.is_refusal());
    assert_eq!(std::fs::read_to_string(&dest).unwrap(), "mine");
    assert_eq!(names(dir.path()), ["report"]);
}

#[test]
fn force_replaces_a_file_by_a_rename_over_it() {
    let dir = tempfile::tempdir().unwrap();
    let dest = dir.path().join("out.json");
    std::fs::write(&dest, "old").unwrap();
    let staged = Staged::file(&dest).unwrap();
    std::fs::write(staged.path(), "new").unwrap();
    staged.commit(true).unwrap();
    assert_eq!(std::fs::read_to_string(&dest).unwrap(), "new");
    assert_eq!(names(dir.path()), ["out.json"]);
}

#[test]
fn a_staged_output_dropped_on_an_error_leaves_no_temporary() {
    let dir = tempfile::tempdir().unwrap();
    {
        let f = Staged::file(&dir.path().join("a.png")).unwrap();
        std::fs::write(f.path(), "half").unwrap();
        let d = Staged::folder(&dir.path().join("report")).unwrap();
        std::fs::write(d.path().join("cfd.png"), "half").unwrap();
        assert_eq!(names(dir.path()).len(), 2);
    }
    assert!(names(dir.path()).is_empty());
}

#[test]
fn report_and_demo_force_onto_a_file_are_refused_before_the_run() {
    let dir = tempfile::tempdir().unwrap();
    let notes = dir.path().join("notes.txt");
    std::fs::write(&notes, "mine").unwrap();
    std::fs::set_permissions(&notes, std::fs::Permissions::from_mode(0o640)).unwrap();
    let file = scenario("outcomes.toml");
    let report = ["report", file.to_str().unwrap()];
    for args in [&report[..], &["demo"][..]] {
        // 10,000 replications would take minutes: a quick exit shows the check comes first.
        let started = std::time::Instant::now();
        valueflow()
            .args(args)
            .args(["--reps", "10000", "--quiet", "--force", "--out"])
            .arg(&notes)
            .assert()
            .code(2)
            .stderr(predicate::str::contains(
                "notes.txt is a file; --force replaces a report folder, not a file",
            ));
        assert!(started.elapsed().as_secs() < 20, "{args:?} ran first");
        assert_eq!(std::fs::read_to_string(&notes).unwrap(), "mine");
        let mode = std::fs::metadata(&notes).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o640);
        assert_eq!(names(dir.path()), ["notes.txt"], "{args:?}");
    }
}

#[test]
fn force_replaces_only_a_report_folder_never_a_folder_of_someone_s_work() {
    let dir = tempfile::tempdir().unwrap();
    let proj = dir.path().join("proj");
    std::fs::create_dir(&proj).unwrap();
    let file = proj.join("mm1.toml");
    std::fs::copy(scenario("mm1.toml"), &file).unwrap();
    let report = |out: &std::path::Path| {
        let mut c = valueflow();
        c.args(["report", file.to_str().unwrap(), "--reps", "2", "--quiet"])
            .args([
                "--set",
                "warmup=0",
                "--set",
                "horizon=50",
                "--force",
                "--out",
            ])
            .arg(out);
        c
    };
    // The folder holding the scenario, with notes beside it: refused, untouched.
    std::fs::write(proj.join("notes.md"), "mine").unwrap();
    report(&proj)
        .assert()
        .code(2)
        .stderr(predicate::str::contains(
            "proj holds the file mm1.toml, which is not part of a valueflow report",
        ));
    assert_eq!(names(&proj), ["mm1.toml", "notes.md"]);
    // A report folder is replaced; with a subfolder or a stray file put in it, it is not.
    let out = dir.path().join("out");
    report(&out).assert().success();
    report(&out).assert().success();
    assert!(out.join("index.html").is_file() && out.join("summary.json").is_file());
    std::fs::create_dir(out.join("data")).unwrap();
    report(&out)
        .assert()
        .code(2)
        .stderr(predicate::str::contains("holds the folder or link data"));
    std::fs::remove_dir(out.join("data")).unwrap();
    std::fs::remove_file(out.join("summary.json")).unwrap();
    report(&out)
        .assert()
        .code(2)
        .stderr(predicate::str::contains(
            "but no index.html and summary.json",
        ));
    // Files of a report's kinds but not a report's names: someone's notes and data, kept.
    let notes = dir.path().join("notes");
    std::fs::create_dir(&notes).unwrap();
    for own in ["plan.md", "scenario.json", "export.csv"] {
        std::fs::write(notes.join(own), "mine").unwrap();
        report(&notes)
            .assert()
            .code(2)
            .stderr(predicate::str::contains(format!("holds the file {own}")));
        std::fs::remove_file(notes.join(own)).unwrap();
    }
    // What a file browser leaves behind is no one's work.
    std::fs::write(notes.join(".DS_Store"), "finder").unwrap();
    std::fs::write(out.join(".DS_Store"), "finder").unwrap();
    std::fs::write(out.join("summary.json"), "{}").unwrap();
    report(&out).assert().success();
    report(&notes).assert().success();
    assert!(notes.join("index.html").is_file());
    assert_eq!(names(dir.path()), ["notes", "out", "proj"]);
}

#[test]
fn the_current_folder_and_its_parents_are_refused_as_out_before_the_run() {
    let dir = tempfile::tempdir().unwrap();
    let cwd = dir.path().join("work");
    std::fs::create_dir(&cwd).unwrap();
    let absolute = cwd.to_str().unwrap().to_string();
    for out in [".", "./", "..", "/", &absolute, "../work"] {
        for command in ["report", "demo"] {
            let mut c = Command::cargo_bin("valueflow").unwrap();
            c.current_dir(&cwd).arg(command);
            if command == "report" {
                c.arg(scenario("outcomes.toml"));
            }
            c.args(["--reps", "10000", "--quiet", "--force", "--out", out])
                .assert()
                .code(2)
                .stderr(predicate::str::contains(
                    "is the current folder or one of its parents",
                ));
        }
        assert!(names(&cwd).is_empty(), "--out {out}");
        assert_eq!(names(dir.path()), ["work"], "--out {out}");
    }
}

#[test]
fn force_replaces_a_single_file_output_but_never_a_folder() {
    let dir = tempfile::tempdir().unwrap();
    let folder = dir.path().join("results.json");
    std::fs::create_dir(&folder).unwrap();
    std::fs::write(folder.join("notes.txt"), "mine").unwrap();
    valueflow()
        .args(["run", "scenarios/mm1.toml", "--reps", "2", "--quiet"])
        .args(["--format", "json", "--force", "--out"])
        .arg(&folder)
        .assert()
        .code(2)
        .stderr(predicate::str::contains(
            "is a folder; --force replaces a file, not a folder",
        ));
    assert_eq!(names(&folder), ["notes.txt"]);
    assert_eq!(names(dir.path()), ["results.json"]);
}

#[test]
fn force_never_replaces_a_named_pipe_or_a_device_with_a_file() {
    use std::os::unix::fs::FileTypeExt;
    let dir = tempfile::tempdir().unwrap();
    let pipe = dir.path().join("results.jsonl");
    let c_path = std::ffi::CString::new(pipe.to_str().unwrap()).unwrap();
    // SAFETY: mkfifo(3) reads the NUL-terminated path this test owns.
    assert_eq!(unsafe { libc::mkfifo(c_path.as_ptr(), 0o600) }, 0);
    for dest in [pipe.as_path(), Path::new("/dev/null")] {
        valueflow()
            .args(["run", "scenarios/mm1.toml", "--reps", "2", "--quiet"])
            .args(["--format", "json", "--force", "--out"])
            .arg(dest)
            .assert()
            .code(2)
            .stderr(predicate::str::contains(
                "not a regular file; --force replaces only a file",
            ));
    }
    assert!(std::fs::symlink_metadata(&pipe)
        .unwrap()
        .file_type()
        .is_fifo());
    assert!(std::fs::symlink_metadata("/dev/null")
        .unwrap()
        .file_type()
        .is_char_device());
    assert_eq!(names(dir.path()), ["results.jsonl"]);
}

const COLLIDING: &str = r#"name = "colliding names"
horizon = 200.0
warmup = 10.0
replications = 2
compare = ["a.b", "a_b", "a/b", "A_B"]

[[work]]
name = "job"
arrival_rate = 0.5

[[stages]]
name = "build"
workers = 1
service = { dist = "exponential", mean = 1.0 }

[[policies]]
name = "a.b"
order = "fifo"

[[policies]]
name = "a_b"
order = "cd3"

[[policies]]
name = "a/b"
order = "shortest-first"

[[policies]]
name = "A_B"
order = "fifo"
"#;

#[test]
fn policies_whose_names_map_to_one_file_name_get_distinct_files() {
    assert_eq!(
        pack::policy_files(&["a.b", "a_b", "a/b", "A_B", "a_b-2"]),
        [
            "policy-a_b.csv",
            "policy-a_b-2.csv",
            "policy-a_b-3.csv",
            "policy-A_B-4.csv",
            "policy-a_b-2-2.csv"
        ]
    );
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("colliding.toml");
    std::fs::write(&file, COLLIDING).unwrap();
    let out = dir.path().join("report");
    let done = valueflow()
        .arg("report")
        .arg(&file)
        .args(["--quiet", "--out"])
        .arg(&out)
        .assert()
        .success();
    let files = names(&out);
    let stderr = String::from_utf8_lossy(&done.get_output().stderr).into_owned();
    assert!(
        stderr.contains(&format!("({} files)", files.len())),
        "the printed count is the folder's: {stderr}"
    );
    for (policy, csv) in [
        ("a.b", "policy-a_b.csv"),
        ("a_b", "policy-a_b-2.csv"),
        ("a/b", "policy-a_b-3.csv"),
        ("A_B", "policy-A_B-4.csv"),
    ] {
        let text = std::fs::read_to_string(out.join(csv)).unwrap();
        assert!(
            text.contains(&format!(",{policy},")),
            "{csv} holds `{policy}`"
        );
    }
}

/// The mode a new file (0666) or folder (0777) gets under this process's umask, which the
/// `valueflow` children inherit.
fn expected_mode(folder: bool) -> u32 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let umask = status
        .lines()
        .find_map(|l| l.strip_prefix("Umask:"))
        .and_then(|v| u32::from_str_radix(v.trim(), 8).ok())
        .unwrap_or(0o022);
    (if folder { 0o777 } else { 0o666 }) & !umask
}

fn mode(path: &Path) -> u32 {
    std::fs::metadata(path).unwrap().permissions().mode() & 0o777
}

#[test]
fn outputs_get_the_usual_permissions_under_the_umask() {
    let dir = tempfile::tempdir().unwrap();
    let file_mode = expected_mode(false);
    for out in ["cfd.png", "cfd.svg"] {
        let path = dir.path().join(out);
        valueflow()
            .args(["chart", "scenarios/outcomes.toml", "--kind", "cfd"])
            .args(["--reps", "2", "--quiet", "--out"])
            .arg(&path)
            .assert()
            .success();
        assert_eq!(mode(&path), file_mode, "{out}");
    }
    for (format, out) in [("csv", "r.csv"), ("json", "r.json"), ("table", "r.txt")] {
        let path = dir.path().join(out);
        for force in [false, true] {
            let mut c = valueflow();
            c.args(["run", "scenarios/mm1.toml", "--reps", "2", "--quiet"])
                .args(["--format", format, "--out"])
                .arg(&path);
            if force {
                // Replacing a file leaves the usual mode too.
                std::fs::set_permissions(&path, std::fs::Permissions::from_mode(file_mode))
                    .unwrap();
                c.arg("--force");
            }
            c.assert().success();
            assert_eq!(mode(&path), file_mode, "{out}, force {force}");
        }
    }
    let report = dir.path().join("report");
    valueflow()
        .args([
            "report",
            "scenarios/outcomes.toml",
            "--reps",
            "2",
            "--quiet",
        ])
        .arg("--out")
        .arg(&report)
        .assert()
        .success();
    assert_eq!(mode(&report), expected_mode(true), "the report folder");
    for f in names(&report) {
        assert_eq!(mode(&report.join(&f)), file_mode, "report/{f}");
    }
    no_temporaries(dir.path());
}

#[test]
fn ctrl_c_during_the_report_removes_its_temporaries_and_exits_130() {
    interrupt_the_report(libc::SIGINT);
}

/// What a scheduler sends a job it cancels (Slurm, Kubernetes) and a closed terminal sends.
#[test]
fn sigterm_and_sighup_during_the_report_remove_its_temporaries_too() {
    interrupt_the_report(libc::SIGTERM);
    interrupt_the_report(libc::SIGHUP);
}

/// Sends `signal` to a report being written: its temporaries are removed, nothing is left, and
/// it exits with 130.
fn interrupt_the_report(signal: libc::c_int) {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("report");
    let mut child = std::process::Command::new(assert_cmd::cargo::cargo_bin("valueflow"))
        .current_dir(root())
        .args([
            "report",
            "scenarios/outcomes.toml",
            "--reps",
            "100",
            "--quiet",
        ])
        .arg("--out")
        .arg(&out)
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    // Interrupt once the report is being staged (its folder has a first file), so there is
    // something to clean up; give up waiting after a minute (Ctrl-C then interrupts the run).
    let started = std::time::Instant::now();
    let staging = || {
        names(dir.path())
            .iter()
            .filter(|n| n.starts_with(".valueflow-report-"))
            .any(|n| std::fs::read_dir(dir.path().join(n)).is_ok_and(|mut d| d.next().is_some()))
    };
    while started.elapsed().as_secs() < 60 && !staging() {
        assert!(
            child.try_wait().unwrap().is_none(),
            "the report finished before it could be interrupted"
        );
        std::thread::sleep(std::time::Duration::from_millis(1));
    }
    let pid = libc::pid_t::try_from(child.id()).unwrap();
    // SAFETY: kill(2) sends a signal to the child this test spawned and still owns.
    assert_eq!(unsafe { libc::kill(pid, signal) }, 0);
    let done = child.wait_with_output().unwrap();
    assert_eq!(
        done.status.code(),
        Some(130),
        "{}",
        String::from_utf8_lossy(&done.stderr)
    );
    no_temporaries(dir.path());
    assert!(!out.exists(), "an interrupted report writes nothing");
    assert!(names(dir.path()).is_empty());
}
