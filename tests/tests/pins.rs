//! The pins check (`tests/scripts/pins.py`, the first step of `make test`) against the venv `make` installs from
//! `requirements/moto.txt`: it passes on what is committed and fails, naming the difference, on each way an
//! installed tool can drift from its pin: a version the lock does not hold, a package the lock does not list, a
//! locked package missing, an input edited without `make lock`, and a machine tool (Python, Terraform, rustc)
//! other than the pinned one. Plus the guard that every lock is installed by the Makefile and checked by `make pins`.
//! Without `.venv` (a laptop before `make tools`) the venv tests print SKIP; under `CI=true` they fail.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use test_support::repo_root;

const LOCK: &str = "requirements/moto.txt";

/// The project's `.venv`, or `None` after a SKIP (a failure under CI).
fn venv() -> Option<PathBuf> {
    test_support::require(repo_root().join(".venv/bin/python")).map(|_| repo_root().join(".venv"))
}

/// Runs pins.py from the repository root with `args`.
fn pins(args: &[&str]) -> Output {
    Command::new("python3")
        .arg("tests/scripts/pins.py")
        .args(args)
        .current_dir(repo_root())
        .output()
        .expect("python3 runs")
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// `requirements/moto.txt` with `edit` applied, written to `dir` (with its input beside it, as `make lock` keeps
/// them), and the `VENV=LOCK` argument for it.
fn edited_lock(dir: &Path, venv: &Path, edit: impl Fn(&str) -> String) -> String {
    let text = std::fs::read_to_string(repo_root().join(LOCK)).unwrap();
    let edited = edit(&text);
    assert_ne!(edited, text, "the edit changed nothing");
    let lock = dir.join("moto.txt");
    std::fs::write(&lock, edited).unwrap();
    std::fs::copy(
        repo_root().join("requirements/moto.in"),
        dir.join("moto.in"),
    )
    .unwrap();
    format!("{}={}", venv.display(), lock.display())
}

#[test]
fn committed_pins_hold_for_the_installed_venv() {
    let Some(venv) = venv() else { return };
    let out = pins(&["--venv", &format!("{}={LOCK}", venv.display())]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(String::from_utf8_lossy(&out.stdout).contains("pins: ok"));
}

#[test]
fn a_version_other_than_the_locked_one_fails_and_is_named() {
    let Some(venv) = venv() else { return };
    let dir = tempfile::tempdir().unwrap();
    let arg = edited_lock(dir.path(), &venv, |t| {
        t.replacen("\nbotocore==", "\nbotocore==0.0.1\n#was ", 1)
    });
    let out = pins(&["--venv", &arg]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let err = stderr(&out);
    assert!(err.contains("botocore is "), "{err}");
    assert!(err.contains("pins 0.0.1"), "{err}");
}

#[test]
fn a_package_the_lock_does_not_list_fails_and_is_named() {
    let Some(venv) = venv() else { return };
    let dir = tempfile::tempdir().unwrap();
    // Drop the lock's `jmespath==…` requirement (its line and hashes): the venv now holds a package it does not list.
    let arg = edited_lock(dir.path(), &venv, |t| {
        let start = t.find("\njmespath==").expect("jmespath is locked") + 1;
        let end = start + t[start..].find("\n    # via").unwrap() + 1;
        format!("{}{}", &t[..start], &t[end..])
    });
    let out = pins(&["--venv", &arg]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("jmespath==") && stderr(&out).contains("is installed but not in"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn a_locked_package_that_is_not_installed_fails_and_is_named() {
    let Some(venv) = venv() else { return };
    let dir = tempfile::tempdir().unwrap();
    let arg = edited_lock(dir.path(), &venv, |t| {
        format!("{t}not-installed-anywhere==1.0 \\\n    --hash=sha256:00\n")
    });
    let out = pins(&["--venv", &arg]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("not-installed-anywhere==1.0 is locked"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn an_input_edited_without_relocking_fails() {
    let Some(venv) = venv() else { return };
    let dir = tempfile::tempdir().unwrap();
    let arg = edited_lock(dir.path(), &venv, |t| format!("{t}\n"));
    let input = dir.path().join("moto.in");
    let text = std::fs::read_to_string(&input).unwrap();
    std::fs::write(
        &input,
        text.replace("moto[server]==5.2.1", "moto[server]==5.2.5"),
    )
    .unwrap();
    let out = pins(&["--venv", &arg]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("pins moto==5.2.5 but") && stderr(&out).contains("make lock"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn machine_tools_other_than_the_pinned_ones_fail() {
    let Some(venv) = venv() else { return };
    let dir = tempfile::tempdir().unwrap();
    let tools = dir.path().join("tools.txt");
    std::fs::write(&tools, "python 2.7\n").unwrap();
    let toolchain = dir.path().join("rust-toolchain.toml");
    std::fs::write(&toolchain, "[toolchain]\nchannel = \"1.0.0\"\n").unwrap();
    let out = pins(&[
        "--venv",
        &format!("{}={LOCK}", venv.display()),
        "--tools",
        tools.to_str().unwrap(),
        "--toolchain",
        toolchain.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let err = stderr(&out);
    assert!(err.contains("pins 2.7"), "{err}");
    assert!(
        err.contains("rustc is ") && err.contains("pins 1.0.0"),
        "{err}"
    );

    // The committed pins themselves hold on this machine (what `make pins` runs).
    let out = pins(&[
        "--tools",
        "requirements/tools.txt",
        "--toolchain",
        "rust-toolchain.toml",
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
}

/// Every lock under requirements/ is installed by the Makefile and checked by `make pins`, and has the input it
/// was resolved from; uv's own lock serves `make lock` only.
#[test]
fn every_lock_is_installed_and_checked() {
    let makefile = std::fs::read_to_string(repo_root().join("Makefile")).unwrap();
    let pins_recipe = &makefile[makefile.find("\npins:").expect("a pins target")..];
    let pins_recipe = &pins_recipe[..pins_recipe.find("\n\n").unwrap()];
    let mut locks = 0;
    for entry in std::fs::read_dir(repo_root().join("requirements")).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_none_or(|e| e != "txt") || path.ends_with("tools.txt") {
            continue;
        }
        let name = format!(
            "requirements/{}",
            path.file_name().unwrap().to_str().unwrap()
        );
        assert!(path.with_extension("in").is_file(), "{name} has no .in");
        let text = std::fs::read_to_string(&path).unwrap();
        assert!(
            text.lines()
                .filter(|l| !l.starts_with(' ') && !l.starts_with('#') && !l.is_empty())
                .all(|l| l.contains("==") && l.ends_with('\\')),
            "{name}: every requirement is pinned and followed by its hashes"
        );
        if name.ends_with("/uv.txt") {
            assert!(makefile.contains(&format!("$(LOCK_VENV) {name}")), "{name}");
            continue;
        }
        assert!(
            makefile.contains(&format!(" {name}\n")),
            "{name} is not installed by the Makefile"
        );
        assert!(
            pins_recipe.contains(&format!("={name}")),
            "{name} is not checked by make pins"
        );
        locks += 1;
    }
    assert_eq!(locks, 3, "moto, sql, checkov");
}
