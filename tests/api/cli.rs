//! The `hoard` binary's command line and layered configuration.

use std::io::Write;
use std::process::{Command, Output, Stdio};

use hoard::config::Config;
use tempfile::TempDir;

use crate::helpers::PASSWORD;

fn hoard(dir: &TempDir, args: &[&str], stdin: Option<&str>) -> Output {
    let mut command = Command::new(env!("CARGO_BIN_EXE_hoard"));
    command
        .args(args)
        .current_dir(dir.path())
        .env_remove("RUST_LOG")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    for (key, _) in std::env::vars().filter(|(k, _)| k.starts_with("HOARD_")) {
        command.env_remove(key);
    }
    let mut child = command.spawn().expect("spawn hoard");
    if let Some(input) = stdin {
        child
            .stdin
            .take()
            .expect("stdin")
            .write_all(input.as_bytes())
            .expect("write stdin");
    }
    drop(child.stdin.take());
    child.wait_with_output().expect("hoard output")
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

#[test]
fn the_example_config_parses_and_matches_the_defaults() {
    let text = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/config.example.toml"))
        .unwrap();
    let parsed = Config::from_toml(&text).expect("config.example.toml parses");
    let defaults = toml::to_string(&Config::default()).unwrap();
    assert_eq!(
        toml::to_string(&parsed).unwrap(),
        defaults,
        "the example documents the defaults"
    );
    for section in ["[server]", "[storage]", "[auth]", "[limits]", "[log]"] {
        assert!(text.contains(section), "{section} is documented");
    }
    let table: toml::Table = toml::from_str(&defaults).unwrap();
    assert_documented(&text, "", &table);
}

/// Every key of `table` (and of its sub-tables, such as `[auth.oidc]`) is in the example.
fn assert_documented(text: &str, prefix: &str, table: &toml::Table) {
    for (key, value) in table {
        match value.as_table() {
            Some(inner) => {
                let name = format!("{prefix}{key}");
                if !prefix.is_empty() {
                    assert!(
                        text.contains(&format!("[{name}]")),
                        "[{name}] is documented"
                    );
                }
                assert_documented(text, &format!("{name}."), inner);
            }
            None => assert!(
                text.contains(&format!("\n{key} = ")),
                "{prefix}{key} is documented in the example"
            ),
        }
    }
}

#[test]
fn flags_beat_environment_which_beats_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let file = "[server]\nbind = \"127.0.0.1:1111\"\n[storage]\ntrash_days = 7\n[auth]\naccess_ttl_s = 60\n";
    std::fs::write(dir.path().join("hoard.toml"), file).unwrap();
    let output = Command::new(env!("CARGO_BIN_EXE_hoard"))
        .args([
            "--config",
            "hoard.toml",
            "--data-dir",
            "/srv/from-flag",
            "config",
        ])
        .current_dir(dir.path())
        .env("HOARD_AUTH_ACCESS_TTL_S", "120")
        .env("HOARD_STORAGE_DATA_DIR", "/srv/from-env")
        .env("HOARD_AUTH_JWT_SECRET", "s".repeat(40))
        .env("HOARD_STORAGE_S3_SECRET_ACCESS_KEY", "object-store-secret")
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", stderr(&output));
    assert!(
        !String::from_utf8_lossy(&output.stdout).contains("object-store-secret"),
        "the object store's secret is never printed"
    );
    let config: Config =
        toml::from_str(&String::from_utf8_lossy(&output.stdout)).expect("prints TOML");
    assert_eq!(
        config.server.bind.to_string(),
        "127.0.0.1:1111",
        "file over default"
    );
    assert_eq!(config.storage.trash_days, 7);
    assert_eq!(config.auth.access_ttl_s, 120, "env over file");
    assert_eq!(
        config.storage.data_dir,
        std::path::PathBuf::from("/srv/from-flag"),
        "flag over env"
    );
    assert_eq!(
        config.auth.jwt_secret, "<redacted>",
        "the secret is never printed"
    );
    assert_eq!(
        config.auth.refresh_ttl_s, 604_800,
        "default where no layer speaks"
    );
}

#[test]
fn a_bad_value_exits_2_naming_the_key() {
    let dir = tempfile::tempdir().unwrap();
    let cases: [(&[&str], &str); 7] = [
        (&["--bind", "not-an-address", "serve"], "server.bind"),
        (&["--config", "bad.toml", "serve"], "auth.access_ttl_s"),
        (&["--config", "unknown.toml", "serve"], "nonsense"),
        (&["--config", "missing.toml", "serve"], "missing.toml"),
        (
            &["--config", "s3_no_bucket.toml", "serve"],
            "storage.s3_bucket",
        ),
        (
            &["--config", "s3_endpoint.toml", "serve"],
            "storage.s3_endpoint",
        ),
        (&["--config", "s3_backend.toml", "serve"], "storage.backend"),
    ];
    let s3 =
        "[storage]\nbackend = \"s3\"\ns3_access_key_id = \"k\"\ns3_secret_access_key = \"s\"\n";
    let write = |name: &str, text: String| std::fs::write(dir.path().join(name), text).unwrap();
    write("s3_no_bucket.toml", s3.to_owned());
    write(
        "s3_endpoint.toml",
        format!("{s3}s3_bucket = \"b\"\ns3_endpoint = \"ftp://x\"\n"),
    );
    write(
        "s3_backend.toml",
        "[storage]\nbackend = \"floppy\"\n".to_owned(),
    );
    std::fs::write(
        dir.path().join("bad.toml"),
        "[auth]\naccess_ttl_s = \"soon\"\n",
    )
    .unwrap();
    std::fs::write(dir.path().join("unknown.toml"), "[server]\nnonsense = 1\n").unwrap();
    for (args, key) in cases {
        let output = hoard(&dir, args, None);
        assert_eq!(
            output.status.code(),
            Some(2),
            "{args:?}: {}",
            stderr(&output)
        );
        assert!(
            stderr(&output).contains(key),
            "{args:?} names {key}: {}",
            stderr(&output)
        );
    }
    assert!(
        !dir.path().join("data").exists(),
        "a refused start creates nothing"
    );
}

#[test]
fn a_bad_environment_value_exits_2_naming_the_key() {
    let dir = tempfile::tempdir().unwrap();
    let output = Command::new(env!("CARGO_BIN_EXE_hoard"))
        .args(["user", "list"])
        .current_dir(dir.path())
        .env("HOARD_AUTH_REGISTRATION", "perhaps")
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    assert!(
        stderr(&output).contains("auth.registration"),
        "{}",
        stderr(&output)
    );
}

#[test]
fn version_and_help_answer() {
    let dir = tempfile::tempdir().unwrap();
    let version = hoard(&dir, &["--version"], None);
    assert!(version.status.success());
    assert_eq!(
        String::from_utf8_lossy(&version.stdout).trim(),
        format!("hoard {}", env!("CARGO_PKG_VERSION"))
    );
    let help = hoard(&dir, &["--help"], None);
    let text = String::from_utf8_lossy(&help.stdout);
    for word in ["serve", "user", "--config", "--bind", "--data-dir"] {
        assert!(text.contains(word), "help mentions {word}");
    }
}

#[test]
fn user_add_list_and_passwd_manage_accounts_in_the_data_dir() {
    let dir = tempfile::tempdir().unwrap();
    let input = format!("{PASSWORD}\n");
    let added = hoard(
        &dir,
        &[
            "user",
            "add",
            "root",
            "--email",
            "root@example.com",
            "--admin",
            "--password-stdin",
        ],
        Some(&input),
    );
    assert!(added.status.success(), "{}", stderr(&added));
    let plain = hoard(
        &dir,
        &[
            "user",
            "add",
            "bob",
            "--email",
            "bob@example.com",
            "--password-stdin",
        ],
        Some(&input),
    );
    assert!(plain.status.success(), "{}", stderr(&plain));

    let listed = hoard(&dir, &["user", "list"], None);
    let text = String::from_utf8_lossy(&listed.stdout);
    let root_line = text
        .lines()
        .find(|l| l.contains("root@example.com"))
        .expect("root listed");
    assert!(root_line.contains("admin"), "{root_line}");
    let bob_line = text
        .lines()
        .find(|l| l.contains("bob@example.com"))
        .expect("bob listed");
    assert!(bob_line.contains("user"), "{bob_line}");

    let secret = std::fs::metadata(dir.path().join("data/jwt.secret")).unwrap();
    use std::os::unix::fs::PermissionsExt;
    assert_eq!(secret.permissions().mode() & 0o777, 0o600);

    let weak = hoard(
        &dir,
        &["user", "passwd", "bob", "--password-stdin"],
        Some("password\n"),
    );
    assert_eq!(
        weak.status.code(),
        Some(2),
        "weak password refused: {}",
        stderr(&weak)
    );
    let changed = hoard(
        &dir,
        &["user", "passwd", "bob", "--password-stdin"],
        Some("tranquil otter meadow lantern\n"),
    );
    assert!(changed.status.success(), "{}", stderr(&changed));
    let hash: String = rusqlite::Connection::open(dir.path().join("data/hoard.db"))
        .unwrap()
        .query_row(
            "SELECT password_hash FROM users WHERE username = 'bob'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert!(hash.starts_with("$argon2id$"), "{hash}");

    let duplicate = hoard(
        &dir,
        &[
            "user",
            "add",
            "BOB",
            "--email",
            "x@example.com",
            "--password-stdin",
        ],
        Some(&input),
    );
    assert_eq!(duplicate.status.code(), Some(2));
    assert!(
        stderr(&duplicate).contains("username"),
        "{}",
        stderr(&duplicate)
    );
    let unknown = hoard(
        &dir,
        &["user", "passwd", "nobody", "--password-stdin"],
        Some(&input),
    );
    assert_eq!(unknown.status.code(), Some(2));
}

#[test]
fn user_add_without_a_terminal_or_stdin_flag_refuses() {
    let dir = tempfile::tempdir().unwrap();
    let output = hoard(
        &dir,
        &["user", "add", "carol", "--email", "c@example.com"],
        None,
    );
    assert_eq!(output.status.code(), Some(2));
    assert!(
        stderr(&output).contains("--password-stdin"),
        "{}",
        stderr(&output)
    );
}

#[test]
fn user_reset_mfa_turns_two_step_sign_in_off_from_the_server() {
    let dir = tempfile::tempdir().unwrap();
    let input = format!("{PASSWORD}\n");
    let args = [
        "user",
        "add",
        "root",
        "--email",
        "root@example.com",
        "--admin",
        "--password-stdin",
    ];
    assert!(hoard(&dir, &args, Some(&input)).status.success());
    let db = rusqlite::Connection::open(dir.path().join("data/hoard.db")).unwrap();
    db.execute(
        "INSERT INTO user_totp (user_id, secret, enabled_at, created_at) VALUES (1, x'00', 1, 1)",
        [],
    )
    .unwrap();
    db.execute(
        "INSERT INTO recovery_codes (user_id, lookup, hash) VALUES (1, 'abcd', 'h')",
        [],
    )
    .unwrap();
    let unknown = hoard(&dir, &["user", "reset-mfa", "nobody"], None);
    assert_eq!(unknown.status.code(), Some(2), "{}", stderr(&unknown));
    let reset = hoard(&dir, &["user", "reset-mfa", "ROOT"], None);
    assert!(reset.status.success(), "{}", stderr(&reset));
    assert!(String::from_utf8_lossy(&reset.stdout).contains("two-step sign-in is off for root"));
    let left: i64 = db
        .query_row(
            "SELECT (SELECT count(*) FROM user_totp) + (SELECT count(*) FROM recovery_codes)",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(left, 0);
}
