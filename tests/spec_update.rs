//! The weekly spec check (`scripts/spec-check`, which `.github/workflows/spec-update.yml` runs): Clerk
//! edits `bapi/<date>.yml` in place, so an update must be detected by content, not by file name.
//! Driven against a local git repository laid out like github.com/clerk/openapi-specs.

use std::collections::BTreeMap;
use std::path::Path;
use std::process::Command;

fn git(dir: &Path, args: &[&str]) -> String {
    let out = Command::new("git")
        .args(["-c", "user.name=t", "-c", "user.email=t@example.com"])
        .args(args)
        .current_dir(dir)
        .output()
        .unwrap();
    assert!(out.status.success(), "git {args:?}: {out:?}");
    String::from_utf8(out.stdout).unwrap().trim().to_string()
}

/// Runs the check and parses its `key=value` lines.
fn check(upstream: &Path) -> BTreeMap<String, String> {
    let out = Command::new(format!("{}/scripts/spec-check", env!("CARGO_MANIFEST_DIR")))
        .arg(upstream)
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .filter_map(|l| l.split_once('='))
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

#[test]
fn spec_check_detects_in_place_revisions_by_content() {
    let root = env!("CARGO_MANIFEST_DIR");
    let pin = std::fs::read_to_string(format!("{root}/openapi/PIN")).unwrap();
    let file = pin.lines().find_map(|l| l.strip_prefix("file = ")).unwrap();
    let vendored = std::fs::read(format!("{root}/openapi/{file}")).unwrap();
    let date = file
        .trim_start_matches("clerk-bapi-")
        .trim_end_matches(".yml");
    let revised = |n: u32| {
        let mut v = vendored.clone();
        v.extend_from_slice(format!("\n# revision {n}\n").as_bytes());
        v
    };

    let tmp = tempfile::tempdir().unwrap();
    let up = tmp.path();
    git(up, &["init", "-q"]);
    std::fs::create_dir(up.join("bapi")).unwrap();
    std::fs::write(up.join("bapi/2025-11-10.yml"), revised(0)).unwrap();
    std::fs::write(up.join(format!("bapi/{date}.yml")), &vendored).unwrap();
    std::fs::write(up.join("bapi/README.md"), "not a spec").unwrap();
    git(up, &["add", "."]);
    git(up, &["commit", "-qm", "first"]);

    // The newest dated file is the vendored one: nothing to do.
    let c = check(up);
    assert_eq!(c["file"], format!("bapi/{date}.yml"));
    assert_eq!(c["update"], "false", "{c:?}");
    assert_eq!(c["sha256"], c["pinned"]);

    // Clerk edits the same file in place: same name, new content → an update, naming the revision.
    std::fs::write(up.join(format!("bapi/{date}.yml")), revised(1)).unwrap();
    git(up, &["commit", "-qam", "revise in place"]);
    let head = git(up, &["rev-parse", "HEAD"]);
    let c = check(up);
    assert_eq!(c["file"], format!("bapi/{date}.yml"));
    assert_eq!(c["update"], "true", "{c:?}");
    assert_eq!(c["commit"], head);
    assert!(c["revision"].starts_with(&head[..7]), "{c:?}");

    // A commit that touches other files does not change which revision the spec is.
    std::fs::write(up.join("bapi/README.md"), "still not a spec").unwrap();
    git(up, &["commit", "-qam", "docs"]);
    assert_eq!(check(up)["commit"], head);

    // A newer dated file wins over older ones, and is compared by content too.
    std::fs::write(up.join("bapi/2099-01-01.yml"), &vendored).unwrap();
    let c = check(up);
    assert_eq!(
        (c["file"].as_str(), c["update"].as_str()),
        ("bapi/2099-01-01.yml", "false")
    );

    // A plain directory (no git) still works; only the revision lines are missing.
    let plain = tempfile::tempdir().unwrap();
    std::fs::create_dir(plain.path().join("bapi")).unwrap();
    std::fs::write(plain.path().join(format!("bapi/{date}.yml")), revised(2)).unwrap();
    let c = check(plain.path());
    assert_eq!(c["update"], "true");
    assert!(!c.contains_key("commit"));

    // Nothing that looks like Clerk's layout: a clear failure, not a silent "no update".
    let empty = tempfile::tempdir().unwrap();
    let out = Command::new(format!("{root}/scripts/spec-check"))
        .arg(empty.path())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("no bapi/"));
}
