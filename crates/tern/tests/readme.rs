//! The README's shell examples, run exactly as written: every ```sh block,
//! in order, as one bash session in a fresh directory, with the built
//! `tern` first on PATH. Only the ports change: `serve` gets free ones
//! through its documented TERN_API_LISTEN / TERN_DNS_LISTEN, and the
//! examples' `127.0.0.1:8053` and `-p 5300` are rewritten to match. A
//! `# → text` comment is output the session must print (in that order).

mod common;

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::binary::{free_port, text};

fn sh_blocks(readme: &str) -> Vec<String> {
    let mut blocks = Vec::new();
    let mut current: Option<String> = None;
    for line in readme.lines() {
        match current.as_mut() {
            None if line.trim_end() == "```sh" => current = Some(String::new()),
            None => {}
            Some(_) if line.starts_with("```") => blocks.extend(current.take()),
            Some(block) => {
                block.push_str(line);
                block.push('\n');
            }
        }
    }
    blocks
}

fn on_path(tool: &str) -> bool {
    Command::new("sh")
        .args(["-c", &format!("command -v {tool}")])
        .stdout(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

#[test]
fn readme_shell_examples_run_as_written() {
    let missing: Vec<&str> = ["bash", "curl", "jq", "dig"]
        .into_iter()
        .filter(|t| !on_path(t))
        .collect();
    if !missing.is_empty() {
        assert!(
            std::env::var("CI").as_deref() != Ok("true"),
            "missing tools: {missing:?}"
        );
        eprintln!("SKIP: the README examples need {missing:?}");
        return;
    }
    let readme = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../../README.md"))
        .expect("README.md");
    let blocks = sh_blocks(&readme);
    assert!(blocks.len() >= 5, "found {} sh blocks", blocks.len());
    let api = free_port();
    let dns = free_port();
    let script = blocks
        .join("\n")
        .replace("127.0.0.1:8053", &api.to_string())
        .replace("-p 5300", &format!("-p {}", dns.port()));
    let expected: Vec<String> = script
        .lines()
        .filter_map(|l| l.split_once("# → ").map(|(_, t)| t.trim().to_string()))
        .collect();
    assert!(expected.len() >= 4, "{expected:?}");

    let dir = tempfile::tempdir().expect("tempdir");
    let bin = std::path::Path::new(env!("CARGO_BIN_EXE_tern"))
        .parent()
        .expect("bin dir");
    let path = format!(
        "{}:{}",
        bin.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    // The harness's own lines: stop on the first failing command, and stop
    // the background server whatever happens.
    let session =
        format!("set -eo pipefail\ntrap 'kill $(jobs -p) 2>/dev/null || true' EXIT\n{script}");
    let stdout_path = dir.path().join("stdout");
    let stderr_path = dir.path().join("stderr");
    let mut child = Command::new("bash")
        .args(["-c", &session])
        .current_dir(dir.path())
        .env("PATH", path)
        .env("TERN_API_LISTEN", api.to_string())
        .env("TERN_DNS_LISTEN", dns.to_string())
        .env("RUST_LOG", "warn")
        .env_remove("TERN_DATA_DIR")
        .env_remove("TERN_DATABASE_URL")
        .env_remove("TERN_CONFIG")
        .env_remove("TERN_BOOTSTRAP_TOKEN")
        .env_remove("TERN_NAMESERVERS")
        .stdin(Stdio::null())
        .stdout(std::fs::File::create(&stdout_path).expect("stdout"))
        .stderr(std::fs::File::create(&stderr_path).expect("stderr"))
        .spawn()
        .expect("run bash");
    let deadline = Instant::now() + Duration::from_secs(120);
    let status = loop {
        if let Some(status) = child.try_wait().expect("wait") {
            break status;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            panic!("the README session did not finish");
        }
        std::thread::sleep(Duration::from_millis(100));
    };
    let out = text(&std::fs::read(&stdout_path).unwrap_or_default());
    let err = text(&std::fs::read(&stderr_path).unwrap_or_default());
    assert!(
        status.success(),
        "exit {status}\nstdout:\n{out}\nstderr:\n{err}"
    );
    assert!(
        !out.contains("\"error_code\""),
        "an API call failed:\n{out}"
    );
    let mut rest = out.as_str();
    for want in &expected {
        match rest.find(want.as_str()) {
            Some(at) => rest = &rest[at + want.len()..],
            None => panic!("expected {want:?} (in order) in:\n{out}\nstderr:\n{err}"),
        }
    }
}
