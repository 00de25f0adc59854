//! `tern tsig create --format bind|nsd|knot|all` prints a key clause each
//! secondary accepts: checked by the secondaries' own configuration
//! checkers (`named-checkconf`, `nsd-checkconf`, `knotc conf-check`).

mod common;

use std::path::Path;
use std::process::Command;

use common::binary::{tern, text};

/// A checker's path, or `None` with a visible SKIP (a failure in CI).
fn checker(tool: &str) -> Option<String> {
    for dir in ["/usr/bin", "/usr/sbin", "/usr/local/bin", "/usr/local/sbin"] {
        let path = format!("{dir}/{tool}");
        if Path::new(&path).exists() {
            return Some(path);
        }
    }
    assert!(
        std::env::var("CI").as_deref() != Ok("true"),
        "{tool} is required in CI (.ci/run installs it)"
    );
    eprintln!("SKIP: {tool} not installed; its key clause is not checked");
    None
}

/// Runs `tool [flag] CONFIG [action]` (knotc wants `-c CONFIG conf-check`).
fn check(tool: &str, flag: Option<&str>, config: &Path, action: Option<&str>) {
    let Some(path) = checker(tool) else {
        return;
    };
    let out = Command::new(&path)
        .args(flag)
        .arg(config)
        .args(action)
        .output()
        .expect("run checker");
    assert!(
        out.status.success(),
        "{tool} refuses {}:\n{}\n{}{}",
        config.display(),
        std::fs::read_to_string(config).unwrap_or_default(),
        text(&out.stdout),
        text(&out.stderr)
    );
}

fn create(data: &Path, name: &str, format: &str) -> String {
    let out = tern(data, &["tsig", "create", name, "--format", format]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    text(&out.stdout)
}

#[test]
fn each_secondary_accepts_the_clause_printed_for_it() {
    let dir = tempfile::tempdir().expect("tempdir");
    let data = dir.path();
    let write = |file: &str, body: &str| {
        let path = data.join(file);
        std::fs::write(&path, body).expect("write config");
        path
    };
    let bind = write("named.conf", &create(data, "bind.example.net", "bind"));
    check("named-checkconf", None, &bind, None);
    let nsd = write("nsd.conf", &create(data, "nsd.example.net", "nsd"));
    check("nsd-checkconf", None, &nsd, None);
    let knot = write("knot.conf", &create(data, "knot.example.net", "knot"));
    check("knotc", Some("-c"), &knot, Some("conf-check"));

    // The default prints all three, each under a comment the three
    // languages take; cut it apart and check each piece.
    let all = create(data, "all.example.net", "all");
    let pieces: Vec<&str> = all.split("\n\n").collect();
    assert_eq!(pieces.len(), 3, "{all}");
    assert!(pieces[0].starts_with("# BIND") && pieces[0].contains("key \"all.example.net\""));
    assert!(pieces[1].starts_with("# NSD") && pieces[1].contains("name: \"all.example.net\""));
    assert!(pieces[2].starts_with("# Knot") && pieces[2].contains("id: all.example.net"));
    check(
        "named-checkconf",
        None,
        &write("all-named.conf", pieces[0]),
        None,
    );
    check(
        "nsd-checkconf",
        None,
        &write("all-nsd.conf", pieces[1]),
        None,
    );
    let knot = write("all-knot.conf", pieces[2]);
    check("knotc", Some("-c"), &knot, Some("conf-check"));

    let out = tern(
        data,
        &["tsig", "create", "x.example.net", "--format", "powerdns"],
    );
    assert!(!out.status.success());
    assert!(
        text(&out.stderr).contains("--format"),
        "{}",
        text(&out.stderr)
    );
}
