//! Golden outputs: a stable scenario's JSON and CSV must not change unnoticed (a dependency
//! bump that changes the random draws, or a change of the schema, shows up here).
//! Regenerate deliberately with `UPDATE_GOLDEN=1 cargo test golden`.

use super::root;
use assert_cmd::Command;

fn check_golden(name: &str, args: &[&str]) {
    let out = Command::cargo_bin("valueflow")
        .unwrap()
        .args(args)
        .current_dir(root())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let path = root().join("tests/golden").join(name);
    let actual = String::from_utf8(out.stdout).unwrap();
    if std::env::var_os("UPDATE_GOLDEN").is_some() {
        std::fs::write(&path, &actual).unwrap();
        return;
    }
    let expected = std::fs::read_to_string(&path)
        .unwrap_or_else(|_| panic!("missing {}; run with UPDATE_GOLDEN=1", path.display()));
    assert_eq!(
        actual, expected,
        "{name} changed; if intended, UPDATE_GOLDEN=1 cargo test golden"
    );
}

#[test]
fn golden_json_of_delivery_team() {
    check_golden(
        "delivery-team.json",
        &[
            "run",
            "scenarios/delivery-team.toml",
            "--reps",
            "20",
            "--format",
            "json",
        ],
    );
}

#[test]
fn golden_csv_of_mm1() {
    check_golden(
        "mm1.csv",
        &[
            "run",
            "scenarios/mm1.toml",
            "--reps",
            "3",
            "--horizon",
            "3000",
            "--warmup",
            "100",
            "--format",
            "csv",
        ],
    );
}
