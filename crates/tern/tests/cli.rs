//! The `tern` binary as a user runs it: zone import/export/list against the
//! embedded database in a temp data dir, and `tern serve` answering its
//! health endpoints over a real socket.

mod common;

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::binary::{
    Server, dns_answer_count, fixture, free_port, http, http_get, serve, tern, text,
};

#[test]
fn import_change_export_list() {
    let dir = tempfile::tempdir().expect("tempdir");
    let data = dir.path();
    let out = tern(
        data,
        &[
            "zone",
            "import",
            "minimal.com",
            fixture("minimal.com").to_str().expect("path"),
        ],
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(
        text(&out.stdout).contains("imported minimal.com."),
        "{}",
        text(&out.stdout)
    );

    // The same file again: nothing to change.
    let out = tern(
        data,
        &[
            "zone",
            "import",
            "minimal.com",
            fixture("minimal.com").to_str().expect("path"),
        ],
    );
    assert!(out.status.success());
    assert!(
        text(&out.stdout).contains("nothing to change"),
        "{}",
        text(&out.stdout)
    );

    let first = text(&tern(data, &["zone", "export", "minimal.com"]).stdout);
    assert!(first.contains("$ORIGIN minimal.com."), "{first}");
    let serial_of = |zone: &str| -> u64 {
        let soa = zone
            .lines()
            .find(|l| l.contains("\tSOA\t"))
            .expect("SOA line");
        soa.split_whitespace()
            .nth(6)
            .and_then(|s| s.parse().ok())
            .expect("serial")
    };

    // A change: merge a file with one more record; the serial moves by one.
    let extra = data.join("extra.zone");
    std::fs::write(&extra, "$ORIGIN minimal.com.\nextra 300 IN A 192.0.2.77\n").expect("write");
    let out = tern(
        data,
        &[
            "--data-dir",
            data.to_str().expect("path"),
            "zone",
            "import",
            "minimal.com",
            extra.to_str().expect("path"),
        ],
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    let second = text(&tern(data, &["zone", "export", "minimal.com"]).stdout);
    assert!(second.contains("extra\t300\tIN\tA\t192.0.2.77"), "{second}");
    assert_eq!(serial_of(&second), serial_of(&first) + 1);

    let list = text(&tern(data, &["zone", "list"]).stdout);
    assert!(
        list.contains("minimal.com.") && list.contains("active"),
        "{list}"
    );
}

#[test]
fn strict_import_fails_with_lines_and_skip_invalid_reports() {
    let dir = tempfile::tempdir().expect("tempdir");
    let data = dir.path();
    let path = fixture("nztest.com");
    let out = tern(
        data,
        &["zone", "import", "nztest.com", path.to_str().expect("path")],
    );
    assert!(!out.status.success());
    let err = text(&out.stderr);
    assert!(
        err.contains("line 15") && err.contains("line 16") && err.contains("outside the zone"),
        "{err}"
    );
    let list = text(&tern(data, &["zone", "list"]).stdout);
    assert!(!list.contains("nztest.com."), "nothing imported: {list}");

    let out = tern(
        data,
        &[
            "zone",
            "import",
            "nztest.com",
            path.to_str().expect("path"),
            "--skip-invalid",
        ],
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(
        text(&out.stderr).contains("skipped: line 15"),
        "{}",
        text(&out.stderr)
    );
    assert!(
        text(&out.stdout).contains("2 skipped"),
        "{}",
        text(&out.stdout)
    );
}

#[test]
fn tsig_keys_are_created_listed_and_deleted() {
    let dir = tempfile::tempdir().expect("tempdir");
    let data = dir.path();
    let out = tern(
        data,
        &[
            "tsig",
            "create",
            "xfr.example.net",
            "--algorithm",
            "hmac-sha512",
        ],
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    let clause = text(&out.stdout);
    assert!(
        clause.contains("key \"xfr.example.net\"") && clause.contains("algorithm hmac-sha512;"),
        "{clause}"
    );
    // A generated secret is as long as the hash: 64 octets, 88 base64 chars.
    let secret = clause
        .split("secret \"")
        .nth(1)
        .and_then(|s| s.split('"').next())
        .unwrap_or_default();
    assert_eq!(secret.len(), 88, "{clause}");

    let out = tern(data, &["tsig", "create", "xfr.example.net"]);
    assert!(!out.status.success());
    assert!(
        text(&out.stderr).contains("already exists"),
        "{}",
        text(&out.stderr)
    );
    let out = tern(data, &["tsig", "create", "k2", "--algorithm", "hmac-md5"]);
    assert!(!out.status.success());
    assert!(
        text(&out.stderr).contains("unsupported TSIG algorithm 'hmac-md5'"),
        "{}",
        text(&out.stderr)
    );
    let out = tern(data, &["tsig", "create", "k2", "--secret", "c2hvcnQ="]);
    assert!(
        text(&out.stderr).contains("secret: 5 octets is too short"),
        "{}",
        text(&out.stderr)
    );

    let list = text(&tern(data, &["tsig", "list"]).stdout);
    assert_eq!(list.trim(), "xfr.example.net.\thmac-sha512", "{list}");
    let list = text(&tern(data, &["tsig", "list", "--show-secrets"]).stdout);
    assert!(list.contains(secret), "{list}");

    let out = tern(data, &["tsig", "delete", "XFR.example.net."]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(
        text(&tern(data, &["tsig", "list"]).stdout)
            .trim()
            .is_empty()
    );
    let out = tern(data, &["tsig", "delete", "xfr.example.net"]);
    assert!(!out.status.success());
    assert!(
        text(&out.stderr).contains("no TSIG key named"),
        "{}",
        text(&out.stderr)
    );
}

#[test]
fn serve_answers_health_checks() {
    let dir = tempfile::tempdir().expect("tempdir");
    let api = free_port();
    let dns = free_port();
    let server = Server(
        Command::new(env!("CARGO_BIN_EXE_tern"))
            .args([
                "serve",
                "--api-listen",
                &api.to_string(),
                "--dns-listen",
                &dns.to_string(),
            ])
            .env("TERN_DATA_DIR", dir.path())
            .env_remove("TERN_DATABASE_URL")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start tern serve"),
    );
    let deadline = Instant::now() + Duration::from_secs(30);
    let health = loop {
        if let Some(body) = http_get(api, "/healthz") {
            break body;
        }
        assert!(Instant::now() < deadline, "tern serve did not come up");
        std::thread::sleep(Duration::from_millis(50));
    };
    assert!(health.starts_with("HTTP/1.1 200"), "{health}");
    let ready = http_get(api, "/readyz").expect("readyz");
    assert!(
        ready.starts_with("HTTP/1.1 200") && ready.contains("ready"),
        "{ready}"
    );
    assert!(
        dir.path().join("tern.db").exists(),
        "SQLite database in the data dir"
    );

    // Another process (the CLI) imports a zone; the running server learns of
    // it through the journal and answers for it.
    assert_eq!(
        dns_answer_count(dns, "www.plain.test"),
        Some((5, 0)),
        "not served yet: REFUSED"
    );
    let file = dir.path().join("plain.zone");
    std::fs::write(&file, "$ORIGIN plain.test.\nwww 300 IN A 192.0.2.1\n").expect("write zone");
    let out = tern(
        dir.path(),
        &["zone", "import", "plain.test", file.to_str().expect("path")],
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    let imported = Instant::now();
    let deadline = imported + Duration::from_secs(5);
    loop {
        if dns_answer_count(dns, "www.plain.test") == Some((0, 1)) {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the server never answered for the imported zone"
        );
        std::thread::sleep(Duration::from_millis(10));
    }
    eprintln!(
        "imported zone answered {} ms after the CLI returned",
        imported.elapsed().as_millis()
    );

    // The nameserver's counters on the API listener, in Prometheus text.
    let metrics = http_get(api, "/metrics").expect("metrics");
    assert!(metrics.starts_with("HTTP/1.1 200"), "{metrics}");
    assert!(
        metrics.contains("tern_dns_queries_total{protocol=\"udp\",qtype=\"A\",rcode=\"REFUSED\"} "),
        "{metrics}"
    );
    assert!(
        metrics.contains("tern_dns_queries_total{protocol=\"udp\",qtype=\"A\",rcode=\"NOERROR\"}"),
        "{metrics}"
    );
    assert!(metrics.contains("tern_dns_zones 1"), "{metrics}");
    drop(server);
}

#[test]
fn first_start_creates_an_admin_token() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (server, api, _) = serve(dir.path(), &[]);
    let token_file = dir.path().join("admin-token");
    let token = std::fs::read_to_string(&token_file).expect("admin-token written");
    let token = token.trim();
    assert!(token.starts_with("tern_"), "{token}");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&token_file)
            .expect("meta")
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
    }
    let log = std::fs::read_to_string(dir.path().join("serve.log")).unwrap_or_default();
    assert!(log.contains(token), "printed once to stderr: {log}");
    let (status, me) = http(api, "GET", "/api/v1/me", token, "");
    assert_eq!(status, 200, "{me}");
    assert!(
        me.contains("\"admin\"") && me.contains("\"default\""),
        "{me}"
    );
    drop(server);

    // The second start does not make another.
    let (server, _, _) = serve(dir.path(), &[]);
    assert_eq!(
        std::fs::read_to_string(&token_file).expect("file").trim(),
        token
    );
    drop(server);

    // `tern token create` issues one from the command line.
    let out = tern(
        dir.path(),
        &[
            "token",
            "create",
            "--name",
            "ci",
            "--scopes",
            "dns:read,dns:list",
            "--expires-in",
            "30d",
        ],
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(text(&out.stdout).trim().starts_with("tern_"));
    let out = tern(
        dir.path(),
        &["token", "create", "--name", "x", "--scopes", "dns:write"],
    );
    assert!(!out.status.success());
    assert!(
        text(&out.stderr).contains("unknown scope 'dns:write'"),
        "{}",
        text(&out.stderr)
    );
}

/// Read-your-writes through the whole binary: when the API answers a
/// write, the nameserver already serves it.
#[test]
fn api_changes_are_answered_by_the_nameserver() {
    let dir = tempfile::tempdir().expect("tempdir");
    let token = "tern_test-bootstrap-token-0123456789";
    let (server, api, dns) = serve(dir.path(), &[("TERN_BOOTSTRAP_TOKEN", token)]);
    let (status, zone) = http(
        api,
        "POST",
        "/api/v1/domains",
        token,
        r#"{"name": "live.test", "domain_type": "primary"}"#,
    );
    assert_eq!(status, 201, "{zone}");
    let id = zone
        .split("\"id\":\"")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .expect("zone id");
    let (status, record) = http(
        api,
        "POST",
        &format!("/api/v1/domains/{id}/records"),
        token,
        r#"{"name": "www", "type": "A", "content": "192.0.2.80"}"#,
    );
    assert_eq!(status, 201, "{record}");
    assert_eq!(
        dns_answer_count(dns, "www.live.test"),
        Some((0, 1)),
        "answered at once"
    );
    let (status, _) = http(api, "DELETE", &format!("/api/v1/domains/{id}"), token, "");
    assert_eq!(status, 204);
    assert_eq!(
        dns_answer_count(dns, "www.live.test"),
        Some((5, 0)),
        "a deleted zone is not served"
    );
    drop(server);
}

#[test]
fn config_file_and_global_options_after_the_subcommand() {
    let dir = tempfile::tempdir().expect("tempdir");
    let data = dir.path().join("from-config");
    let config = dir.path().join("tern.toml");
    std::fs::write(
        &config,
        format!("data_dir = \"{}\"\nnameservers = [\"ns1.example.net.\", \"ns2.example.net.\"]\nhostmaster = \"hostmaster@example.net\"\n", data.display()),
    )
    .expect("write config");
    let file = dir.path().join("plain.zone");
    std::fs::write(&file, "$ORIGIN plain.test.\nwww 300 IN A 192.0.2.1\n").expect("write zone");
    let run = |args: &[&str]| {
        Command::new(env!("CARGO_BIN_EXE_tern"))
            .args(args)
            .env_remove("TERN_DATA_DIR")
            .env_remove("TERN_DATABASE_URL")
            .env_remove("TERN_CONFIG")
            .output()
            .expect("run tern")
    };
    let cfg = config.to_str().expect("path");
    let out = run(&[
        "zone",
        "import",
        "plain.test",
        file.to_str().expect("path"),
        "--config",
        cfg,
    ]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(
        data.join("tern.db").exists(),
        "data_dir from the config file is used"
    );
    let zone = text(&run(&["zone", "export", "plain.test", "--config", cfg]).stdout);
    // A file without NS gets the configured nameservers.
    assert!(zone.contains("@\t3600\tIN\tNS\tns1.example.net."), "{zone}");
    assert!(
        zone.contains("SOA\tns1.example.net. hostmaster.example.net. "),
        "{zone}"
    );
    let out = run(&["--config", cfg, "zone", "list"]);
    assert!(
        text(&out.stdout).contains("plain.test."),
        "{}",
        text(&out.stdout)
    );
    let bad = dir.path().join("bad.toml");
    std::fs::write(&bad, "data_dri = \"typo\"\n").expect("write");
    let out = run(&["zone", "list", "--config", bad.to_str().expect("path")]);
    assert!(!out.status.success());
    assert!(
        text(&out.stderr).contains("data_dri"),
        "unknown keys are named: {}",
        text(&out.stderr)
    );
}

/// A fresh installation's first steps, in the README's order: a zone
/// imported before the first `serve` (which makes organisation `default`)
/// must not stop that `serve` from creating the admin token.
#[test]
fn first_serve_after_an_import_creates_the_admin_token() {
    let dir = tempfile::tempdir().expect("tempdir");
    let file = dir.path().join("plain.zone");
    std::fs::write(&file, "$ORIGIN plain.test.\nwww 300 IN A 192.0.2.1\n").expect("write zone");
    let out = tern(
        dir.path(),
        &["zone", "import", "plain.test", file.to_str().expect("path")],
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    let (server, api, _) = serve(dir.path(), &[]);
    let token = std::fs::read_to_string(dir.path().join("admin-token"))
        .expect("the first serve writes admin-token even after an import");
    let (status, me) = http(api, "GET", "/api/v1/me", token.trim(), "");
    assert_eq!(status, 200, "{me}");
    assert!(me.contains("\"default\""), "{me}");
    drop(server);
}

/// Every line has each column where the header has it: starting at the
/// header's first character (text) or ending at its last (numbers).
fn assert_aligned(listing: &str, columns: &[&str]) {
    let mut lines = listing.lines();
    let header = lines.next().expect("header");
    for column in columns {
        let start = header
            .find(column)
            .unwrap_or_else(|| panic!("no {column} in {header}"));
        let end = start + column.len();
        for line in lines.clone() {
            let blank = |at: usize| line.as_bytes().get(at).is_none_or(|b| *b == b' ');
            let left = blank(start - 1) && !blank(start);
            let right = !blank(end - 1) && blank(end);
            assert!(
                left || right,
                "column {column} is out of line in\n{listing}"
            );
        }
    }
}

#[test]
fn zone_list_shows_ids_in_aligned_columns() {
    let dir = tempfile::tempdir().expect("tempdir");
    let data = dir.path();
    for zone in [
        "a.test",
        "a-much-longer-zone-name-than-forty-characters.example",
    ] {
        let file = data.join(format!("{zone}.zone"));
        std::fs::write(&file, format!("$ORIGIN {zone}.\nwww 300 IN A 192.0.2.1\n")).expect("w");
        let out = tern(
            data,
            &["zone", "import", zone, file.to_str().expect("path")],
        );
        assert!(out.status.success(), "{}", text(&out.stderr));
    }
    let out = tern(data, &["zone", "list"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let list = text(&out.stdout);
    assert!(list.starts_with("ID "), "{list}");
    assert_aligned(&list, &["ZONE", "KIND", "STATUS", "RECORDS", "ORG"]);
    for line in list.lines().skip(1) {
        let id = line.split_whitespace().next().unwrap_or("");
        assert!(uuid::Uuid::parse_str(id).is_ok(), "no zone id in: {line}");
    }
}

#[test]
fn organisations_and_projects_are_made_with_the_api_rules() {
    let dir = tempfile::tempdir().expect("tempdir");
    let data = dir.path();
    // The README's token example, on a fresh data dir.
    let out = tern(data, &["org", "create", "acme"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let out = tern(data, &["project", "create", "web", "--org", "acme"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let out = tern(
        data,
        &[
            "token",
            "create",
            "--name",
            "ci",
            "--scopes",
            "dns:read,dns:list",
            "--org",
            "acme",
            "--project",
            "web",
            "--expires-in",
            "30d",
        ],
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(text(&out.stdout).trim().starts_with("tern_"));

    let refused = |args: &[&str], wanted: &str| {
        let out = tern(data, args);
        assert!(!out.status.success(), "{args:?} succeeded");
        let err = text(&out.stderr);
        assert!(err.contains(wanted), "{args:?}: {err}");
    };
    refused(
        &["org", "create", "acme"],
        "organisation 'acme' already exists",
    );
    refused(&["org", "create", "Acme"], "SLUG: 'Acme': 1-63 characters");
    refused(&["org", "create", "--", "-x"], "not starting with '-'");
    refused(
        &["org", "create", "beta", "--features", "dns,dnssec"],
        "--features: unknown feature 'dnssec'",
    );
    refused(
        &["project", "create", "web", "--org", "acme"],
        "already exists",
    );
    refused(
        &["project", "create", "api", "--org", "nope"],
        "no organisation 'nope' (create it with `tern org create nope`)",
    );
    // Only `default` is made on first use; a mistyped --org is not.
    let file = data.join("plain.zone");
    std::fs::write(&file, "$ORIGIN plain.test.\nwww 300 IN A 192.0.2.1\n").expect("write zone");
    let path = file.to_str().expect("path");
    refused(
        &["zone", "import", "plain.test", path, "--org", "acme-typo"],
        "no organisation 'acme-typo'",
    );
    let out = tern(
        data,
        &["zone", "import", "plain.test", path, "--org", "acme"],
    );
    assert!(out.status.success(), "{}", text(&out.stderr));

    let out = tern(
        data,
        &[
            "org",
            "create",
            "beta",
            "--name",
            "Beta Ltd",
            "--features",
            "dns,kms",
            "--max-zones",
            "5",
        ],
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    let orgs = text(&tern(data, &["org", "list"]).stdout);
    assert_aligned(&orgs, &["SLUG", "NAME", "FEATURES", "ZONES"]);
    let acme = orgs
        .lines()
        .find(|l| l.contains(" acme "))
        .expect("acme listed");
    assert!(
        acme.contains(" dns ") && acme.contains(" 1 "),
        "default features, one zone: {orgs}"
    );
    let beta = orgs
        .lines()
        .find(|l| l.contains(" beta "))
        .expect("beta listed");
    assert!(
        beta.contains("Beta Ltd") && beta.contains("dns,kms") && beta.ends_with(" 5"),
        "{orgs}"
    );
    assert!(!orgs.contains("acme-typo"), "{orgs}");
    let projects = text(&tern(data, &["project", "list", "--org", "acme"]).stdout);
    assert!(
        projects
            .lines()
            .any(|l| l.contains(" acme ") && l.contains(" web ")),
        "{projects}"
    );
}

#[test]
fn zones_are_deleted_softly_then_for_good() {
    let dir = tempfile::tempdir().expect("tempdir");
    let data = dir.path();
    let (server, _, dns) = serve(data, &[]);
    let file = data.join("plain.zone");
    std::fs::write(&file, "$ORIGIN plain.test.\nwww 300 IN A 192.0.2.1\n").expect("write zone");
    let out = tern(
        data,
        &["zone", "import", "plain.test", file.to_str().expect("path")],
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    let served = |rcode: u8| {
        let deadline = Instant::now() + Duration::from_secs(10);
        while dns_answer_count(dns, "www.plain.test").map(|(r, _)| r) != Some(rcode) {
            assert!(
                Instant::now() < deadline,
                "never answered with rcode {rcode}"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    };
    served(0);

    let out = tern(data, &["zone", "delete", "plain.test"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(
        text(&out.stdout).contains("/restore"),
        "{}",
        text(&out.stdout)
    );
    served(5);
    assert!(!text(&tern(data, &["zone", "list"]).stdout).contains("plain.test."));
    let listed = text(&tern(data, &["zone", "list", "--include-deleted"]).stdout);
    let row = listed
        .lines()
        .find(|l| l.contains("plain.test."))
        .expect("listed as deleted");
    assert!(row.contains(" deleted "), "{listed}");
    let id = row.split_whitespace().next().expect("id").to_string();

    let out = tern(data, &["zone", "delete", "plain.test"]);
    assert!(!out.status.success());
    assert!(
        text(&out.stderr).contains("--hard"),
        "{}",
        text(&out.stderr)
    );
    let out = tern(data, &["zone", "delete", "plain.test", "--hard"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(text(&out.stdout).contains(&id), "{}", text(&out.stdout));
    let listed = text(&tern(data, &["zone", "list", "--include-deleted"]).stdout);
    assert!(!listed.contains("plain.test."), "{listed}");

    // By id, straight to a hard delete.
    let out = tern(
        data,
        &["zone", "import", "plain.test", file.to_str().expect("path")],
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    served(0);
    let listed = text(&tern(data, &["zone", "list"]).stdout);
    let id = listed
        .lines()
        .find(|l| l.contains("plain.test."))
        .and_then(|l| l.split_whitespace().next())
        .expect("id")
        .to_string();
    let out = tern(data, &["zone", "delete", &id, "--hard"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    served(5);
    let out = tern(data, &["zone", "delete", &id, "--hard"]);
    assert!(!out.status.success());
    assert!(
        text(&out.stderr).contains("not found"),
        "{}",
        text(&out.stderr)
    );
    drop(server);
}

#[test]
fn tokens_are_listed_and_revoked() {
    let dir = tempfile::tempdir().expect("tempdir");
    let data = dir.path();
    let admin = "tern_test-bootstrap-token-0123456789";
    let (server, api, _) = serve(data, &[("TERN_BOOTSTRAP_TOKEN", admin)]);
    let out = tern(
        data,
        &[
            "token", "create", "--name", "ci-job", "--scopes", "dns:read",
        ],
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    let secret = text(&out.stdout).trim().to_string();
    assert_eq!(http(api, "GET", "/api/v1/me", &secret, "").0, 200);

    let list = text(&tern(data, &["token", "list"]).stdout);
    assert!(!list.contains(&secret), "no secrets in listings: {list}");
    assert_aligned(&list, &["NAME", "ORG", "SCOPES", "STATE"]);
    let row = list
        .lines()
        .find(|l| l.contains(" ci-job "))
        .expect("listed");
    assert!(
        row.contains(" dns:read ") && row.ends_with("active"),
        "{list}"
    );
    let id = row.split_whitespace().next().expect("id").to_string();

    let out = tern(data, &["token", "revoke", &id]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let deadline = Instant::now() + Duration::from_secs(30);
    while http(api, "GET", "/api/v1/me", &secret, "").0 != 401 {
        assert!(
            Instant::now() < deadline,
            "the revoked token is still accepted"
        );
        std::thread::sleep(Duration::from_millis(200));
    }
    let list = text(&tern(data, &["token", "list"]).stdout);
    assert!(
        list.lines()
            .any(|l| l.starts_with(&id) && l.ends_with("revoked")),
        "{list}"
    );
    let out = tern(data, &["token", "revoke", &id]);
    assert!(!out.status.success());
    assert!(
        text(&out.stderr).contains("already revoked"),
        "{}",
        text(&out.stderr)
    );
    let out = tern(data, &["token", "revoke", "ci-job"]);
    assert!(!out.status.success());
    assert!(
        text(&out.stderr).contains("not a token id"),
        "{}",
        text(&out.stderr)
    );
    drop(server);
}

#[test]
fn help_describes_every_argument_once() {
    let dir = tempfile::tempdir().expect("tempdir");
    let help = |args: &[&str]| {
        let out = tern(dir.path(), args);
        assert!(out.status.success(), "{}", text(&out.stderr));
        text(&out.stdout)
    };
    let described = |page: &str, arg: &str| {
        let line = page
            .lines()
            .find(|l| l.trim_start().starts_with(arg))
            .unwrap_or_else(|| panic!("no {arg} in\n{page}"));
        assert!(
            line.trim_start()[arg.len()..].trim().len() > 3,
            "{arg} has no help text:\n{page}"
        );
    };
    let import = help(&["zone", "import", "--help"]);
    described(&import, "<ZONE>");
    described(&import, "<FILE>");
    assert_eq!(import.matches("[default: default]").count(), 1, "{import}");
    let create = help(&["token", "create", "--help"]);
    described(&create, "--name <NAME>");
    assert_eq!(create.matches("[default: default]").count(), 1, "{create}");
    for page in [
        help(&["zone", "export", "--help"]),
        help(&["zone", "delete", "--help"]),
    ] {
        described(&page, "<ZONE>");
        assert_eq!(page.matches("[default: default]").count(), 1, "{page}");
    }
    let serve_help = help(&["serve", "--help"]);
    assert!(
        serve_help.contains("ns1.<zone>") && serve_help.contains("glue"),
        "{serve_help}"
    );
}

#[test]
fn serve_warns_when_new_zones_get_the_default_nameserver() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (server, _, _) = serve(dir.path(), &[]);
    drop(server);
    let log = std::fs::read_to_string(dir.path().join("serve.log")).expect("log");
    assert!(log.contains("WARN") && log.contains("ns1.<zone>"), "{log}");

    let (server, _, _) = serve(
        dir.path(),
        &[("TERN_NAMESERVERS", "ns1.example.net.,ns2.example.net.")],
    );
    drop(server);
    let log = std::fs::read_to_string(dir.path().join("serve.log")).expect("log");
    assert!(!log.contains("ns1.<zone>"), "{log}");
}

#[test]
fn errors_print_their_causes_without_a_backtrace() {
    let dir = tempfile::tempdir().expect("tempdir");
    let run = |args: &[&str]| {
        Command::new(env!("CARGO_BIN_EXE_tern"))
            .args(args)
            .env("TERN_DATA_DIR", dir.path())
            .env_remove("TERN_DATABASE_URL")
            .env_remove("TERN_CONFIG")
            .env("RUST_BACKTRACE", "full")
            .env("RUST_LIB_BACKTRACE", "1")
            .output()
            .expect("run tern")
    };
    let out = run(&["org", "create", "acme"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let out = run(&["zone", "export", "nowhere.example", "--org", "acme"]);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        text(&out.stderr),
        "error: zone nowhere.example. not found\n"
    );
    let missing = dir.path().join("missing.toml");
    let out = run(&["zone", "list", "--config", missing.to_str().expect("path")]);
    assert_eq!(out.status.code(), Some(1));
    let err = text(&out.stderr);
    assert!(
        err.starts_with("error: reading config file ") && err.contains(": No such file"),
        "the error and its cause on one line: {err}"
    );
    assert_eq!(err.lines().count(), 1, "{err}");
}

/// `tern serve` on a taken API port: it logs its start, then fails. Returns
/// what it wrote to stderr; `pty` runs it on a terminal (util-linux
/// `script`), `None` when `script` is missing.
fn failing_serve_log(dir: &std::path::Path, pty: bool, env: &[(&str, &str)]) -> Option<String> {
    let taken = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let api = taken.local_addr().expect("addr").to_string();
    let dns = free_port().to_string();
    let bin = env!("CARGO_BIN_EXE_tern");
    let mut command = if pty {
        let mut c = Command::new("script");
        c.args([
            "-qec",
            &format!("{bin} serve --api-listen {api} --dns-listen {dns}"),
            "/dev/null",
        ]);
        c
    } else {
        let mut c = Command::new(bin);
        c.args(["serve", "--api-listen", &api, "--dns-listen", &dns]);
        c
    };
    command
        .env("TERN_DATA_DIR", dir)
        .env_remove("TERN_DATABASE_URL")
        .env_remove("NO_COLOR")
        .env("RUST_LOG", "info")
        .stdin(Stdio::null());
    for (key, value) in env {
        command.env(key, value);
    }
    let out = match command.output() {
        Ok(out) => out,
        Err(e) if pty && e.kind() == std::io::ErrorKind::NotFound => return None,
        Err(e) => panic!("run tern serve: {e}"),
    };
    assert!(!out.status.success(), "the API port is taken");
    // On a terminal stdout and stderr are the same stream.
    Some(text(&out.stderr) + &text(&out.stdout))
}

#[test]
fn logs_are_coloured_only_on_a_terminal() {
    let dir = tempfile::tempdir().expect("tempdir");
    let log = failing_serve_log(dir.path(), false, &[]).expect("log");
    assert!(log.contains("database ready"), "{log}");
    assert!(
        !log.contains('\u{1b}'),
        "colour codes in a log file: {log:?}"
    );
    assert!(log.contains("error: binding the API listener"), "{log}");

    let Some(on_terminal) = failing_serve_log(dir.path(), true, &[]) else {
        assert!(
            std::env::var("CI").as_deref() != Ok("true"),
            "script (util-linux) is missing"
        );
        eprintln!("SKIP: no `script` to run tern on a terminal");
        return;
    };
    assert!(on_terminal.contains("database ready"), "{on_terminal}");
    assert!(
        on_terminal.contains("\u{1b}["),
        "a terminal gets colour: {on_terminal:?}"
    );
    let plain = failing_serve_log(dir.path(), true, &[("NO_COLOR", "1")]).expect("script");
    assert!(plain.contains("database ready"), "{plain}");
    assert!(
        !plain.contains('\u{1b}'),
        "NO_COLOR is respected: {plain:?}"
    );
}
