//! Schemathesis (PyPI) against the real `hoard` binary's `/openapi.json`: every documented
//! operation, called as a signed-in admin with generated valid and invalid inputs, must
//! never answer 5xx and must answer only documented statuses and content types, with
//! bodies that match the documented schemas. Bounded by `--max-examples` and a wall-clock
//! budget (`HOARD_SCHEMATHESIS_SECONDS`, default 120; `HOARD_SCHEMATHESIS_SEED` picks the
//! seed, default 1). Fails with schemathesis's report on any finding.
//!
//! Prerequisites (`.ci/run` installs them): curl, python3 with schemathesis (installed
//! here with pip, at the version `.ci/run` pins, when `import schemathesis` fails).

// Tests panic on purpose when something is off.
#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "support/mod.rs"]
mod support;

use std::fs;
use std::path::Path;
use std::process::Command;

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use serde_json::{json, Value};

use support::server::Server;

/// Keep in step with `.ci/run`.
const SCHEMATHESIS: &str = "schemathesis==4.32.5";
const PASSWORD: &str = "Schema-conformance-42!";
/// A 1×1 PNG, so previews and thumbnails have a real image to work on.
const PNG: &str = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8DwHwAFBQIAX8jx0gAAAABJRU5ErkJggg==";

/// Operations left out, each because it would end the session the run signs in with.
const EXCLUDED: [&str; 4] = [
    // Revoke the access token schemathesis sends (and everything after would be 401).
    "logout",
    "logout_all",
    // With a bearer token it revokes the bearer's session, like `logout`.
    "web_logout",
    // Stateful runs feed it the ids from `GET /auth/sessions`, the current one included.
    "revoke_session",
];

/// tus chunks are plain bytes: serialize them as application/octet-stream is. A name is at
/// most 255 bytes of UTF-8, which the schema states only in words (`maxLength` counts
/// characters): names longer in bytes are not generated.
///
/// CPython 3.11.7 can fail `ast.parse` deep in a stack with "SystemError: AST constructor
/// recursion depth mismatch" (python/cpython#106905) while Hypothesis merely describes a
/// lambda for a message: the description falls back to Hypothesis's own "unknown" one
/// instead of ending the run with a runtime error that says nothing about Hoard.
const HOOKS: &str = r#"import schemathesis
import hypothesis.internal.lambda_sources as lambda_sources

_describe = lambda_sources._lambda_description


def _lambda_description(f, *args, **kwargs):
    try:
        return _describe(f, *args, **kwargs)
    except SystemError:
        return "lambda: <unknown>"


lambda_sources._lambda_description = _lambda_description

schemathesis.serializer.alias("application/offset+octet-stream", "application/octet-stream")

NAMED = {"POST /folders", "PATCH /files/{id}", "POST /files/{id}/copy"}


def fits(name):
    if not isinstance(name, str):
        return True
    return all(len(part.encode("utf-8", "surrogatepass")) <= 255 for part in name.split("/"))


@schemathesis.hook
def filter_body(ctx, body):
    if ctx.operation is None or ctx.operation.label not in NAMED or not isinstance(body, dict):
        return True
    return fits(body.get("name"))


@schemathesis.hook
def filter_query(ctx, query):
    if ctx.operation is None or ctx.operation.label != "PUT /files/by-path":
        return True
    return not isinstance(query, dict) or fits(query.get("path"))
"#;

fn ensure_schemathesis() {
    support::python::ensure_module("schemathesis", SCHEMATHESIS);
}

/// `call` as JSON; asserts the status.
fn ok(server: &Server, want: u16, path: &str, extra: &[&str]) -> Value {
    let (status, body) = server.json(path, extra);
    assert_eq!(status, want, "{path}: {body}");
    body
}

fn post(server: &Server, path: &str, body: Value) -> Value {
    let body = body.to_string();
    let json = ["-H", "Content-Type: application/json", "-d", &body];
    ok(server, 201, path, &json)
}

/// What the run's ids point at, one of each kind of resource.
struct Fixtures {
    user: i64,
    me: i64,
    image: i64,
    victim: i64,
    trashed: i64,
    share: i64,
    share_token: String,
    token: i64,
    upload: i64,
}

fn upload_file(server: &Server, dir: &Path, name: &str, bytes: &[u8], parent: i64) -> i64 {
    let file = dir.join(name);
    fs::write(&file, bytes).unwrap();
    let form = format!("file=@{}", file.display());
    let path = format!("/api/v1/files?parent_id={parent}");
    ok(server, 201, &path, &["-F", &form])["items"][0]["id"]
        .as_i64()
        .unwrap()
}

fn fixtures(server: &Server, dir: &Path) -> Fixtures {
    let me = ok(server, 200, "/api/v1/users/me", &[])["id"]
        .as_i64()
        .unwrap();
    let user = server.register("member", PASSWORD)["user"]["id"]
        .as_i64()
        .unwrap();
    let folder = post(server, "/api/v1/folders", json!({"name": "fixtures"}))["id"]
        .as_i64()
        .unwrap();
    let png = STANDARD.decode(PNG).unwrap();
    let image = upload_file(server, dir, "pixel.png", &png, folder);
    let victim = upload_file(server, dir, "victim.txt", b"to be deleted\n", folder);
    let trashed = upload_file(server, dir, "trashed.txt", b"in the trash\n", folder);
    ok(
        server,
        204,
        &format!("/api/v1/files/{trashed}"),
        &["-X", "DELETE"],
    );
    let share = post(server, "/api/v1/shares", json!({"file_id": image}));
    post(server, "/api/v1/shares", json!({"file_id": folder}));
    let token = post(
        server,
        "/api/v1/auth/tokens",
        json!({"name": "schemathesis"}),
    );
    let metadata = format!("filename {}", STANDARD.encode("tus.bin"));
    let tus = [
        "-X",
        "POST",
        "-H",
        "Tus-Resumable: 1.0.0",
        "-H",
        "Upload-Length: 10",
        "-H",
        &format!("Upload-Metadata: {metadata}"),
    ];
    let upload = ok(server, 201, "/api/v1/uploads", &tus)["id"]
        .as_i64()
        .unwrap();
    Fixtures {
        user,
        me,
        image,
        victim,
        trashed,
        share: share["id"].as_i64().unwrap(),
        share_token: share["token"].as_str().unwrap().to_owned(),
        token: token["id"].as_i64().unwrap(),
        upload,
    }
}

/// schemathesis.toml: the fixtures' ids for the operations that take one, so generated
/// requests reach the handlers' logic instead of 404.
fn config(f: &Fixtures) -> String {
    let pin = |ops: &[&str], name: &str, value: String| {
        format!(
            "{}parameters = {{ \"path.{name}\" = {value} }}\n\n",
            operations(ops)
        )
    };
    let file_ops = [
        "get_file",
        "update_file",
        "copy_file",
        "download_file",
        "get_file_content",
        "preview_file",
        "get_preview_info",
        "get_thumbnail",
        "create_file_link",
    ];
    let users = ["get_user", "update_user", "delete_user"];
    let public = [
        "get_public_share",
        "unlock_public_share",
        "download_public_share",
        "get_public_share_content",
        "get_public_share_thumbnail",
    ];
    [
        pin(&file_ops, "id", f.image.to_string()),
        pin(&["delete_file"], "id", f.victim.to_string()),
        pin(
            &["restore_trash_item", "purge_trash_item"],
            "id",
            f.trashed.to_string(),
        ),
        pin(
            &["get_share", "update_share", "delete_share"],
            "id",
            f.share.to_string(),
        ),
        pin(&public, "token", format!("\"{}\"", f.share_token)),
        pin(&["revoke_api_token"], "id", f.token.to_string()),
        pin(
            &["get_upload", "tus_head", "tus_patch", "tus_terminate"],
            "id",
            f.upload.to_string(),
        ),
        // Never the admin itself: the run must keep its account and role.
        pin(&users, "id", f.user.to_string()),
        pin(
            &["activate_user", "deactivate_user"],
            "id",
            f.user.to_string(),
        ),
        pin(&["get_avatar"], "id", f.me.to_string()),
    ]
    .concat()
        + &expectations()
}

/// `[[operations]]` for the operations `ops`.
fn operations(ops: &[&str]) -> String {
    let ops: Vec<String> = ops.iter().map(|op| format!("\"{op}\"")).collect();
    format!(
        "[[operations]]\ninclude-operation-id = [{}]\n",
        ops.join(", ")
    )
}

/// `"a", "b"` of `statuses`.
fn quoted(statuses: &[&str]) -> String {
    let quoted: Vec<String> = statuses.iter().map(|s| format!("\"{s}\"")).collect();
    quoted.join(", ")
}

/// What schemathesis (4.32.5) expects by default of valid data, of invalid data, and of a
/// request missing a required header.
const POSITIVE: &[&str] = &["2xx", "3xx", "401", "403", "404", "409", "429", "5xx"];
const NEGATIVE: &[&str] = &[
    "400", "401", "403", "404", "405", "406", "409", "415", "422", "428", "429", "5xx",
];
const MISSING_HEADER: &[&str] = &["400", "401", "403", "406", "415", "422"];

/// A rule no JSON Schema can state: where a request that fits the schema may still be
/// refused with `valid_also` (and, for tus, what else it says about invalid requests).
struct Expectation {
    ops: &'static [&'static str],
    valid_also: &'static [&'static str],
    tus: bool,
}

const EXPECTATIONS: &[Expectation] = &[
    // A new password must pass the strength estimator (SPEC §4: zxcvbn score ≥ 2, not the
    // username or email) and match its confirmation: 422 `weak_password`/`validation_failed`.
    Expectation {
        ops: &["register", "create_user", "change_password"],
        valid_also: &["422"],
        tus: false,
    },
    // Two-step sign-in (SPEC §12): a code must come from the account's secret, which no
    // schema can predict (422 `invalid_code`), enabling needs a setup first and setting up
    // needs it off (422 `validation_failed`).
    Expectation {
        ops: &[
            "setup_totp",
            "enable_totp",
            "disable_totp",
            "regenerate_recovery_codes",
        ],
        valid_also: &["422"],
        tus: false,
    },
    // An avatar must decode as an image: 422 `invalid_image`.
    Expectation {
        ops: &["set_avatar"],
        valid_also: &["422"],
        tus: false,
    },
    // A share's `expires_at` must lie in the future, a moving bound: 422.
    Expectation {
        ops: &["create_share", "update_share"],
        valid_also: &["422"],
        tus: false,
    },
    // tus 1.0.0 answers 412 for a missing or other protocol version, 460 for a chunk whose
    // `Upload-Checksum` does not match its bytes (a generated checksum never does), and 413
    // for a chunk longer than what remains of `Upload-Length`. A creation's
    // `Upload-Metadata` values are base64 of UTF-8 text, keys are unique, and `filename`
    // must decode to a valid name (SPEC §6): the pattern states the pairs' shape, not what
    // they decode to, so a creation may also be 400 or 422.
    Expectation {
        ops: &["tus_create"],
        valid_also: &["400", "413", "422", "460"],
        tus: true,
    },
    Expectation {
        ops: &["tus_head", "tus_patch", "tus_terminate"],
        valid_also: &["413", "460"],
        tus: true,
    },
];

/// The `EXPECTATIONS` as schemathesis.toml sections.
fn expectations() -> String {
    let mut toml = String::new();
    for e in EXPECTATIONS {
        let valid = [POSITIVE, e.valid_also].concat();
        toml += &operations(e.ops);
        toml += &format!(
            "checks.positive_data_acceptance.expected-statuses = [{}]\n",
            quoted(&valid)
        );
        if e.tus {
            let invalid = [NEGATIVE, &["412", "413"]].concat();
            let missing = [MISSING_HEADER, &["412"]].concat();
            toml += &format!(
                "checks.negative_data_rejection.expected-statuses = [{}]\n\
                 checks.missing_required_header.expected-statuses = [{}]\n",
                quoted(&invalid),
                quoted(&missing)
            );
        }
        toml += "\n";
    }
    toml
}

#[test]
fn every_operation_conforms_to_the_published_schema() {
    ensure_schemathesis();
    let (dir, server) = Server::fresh("admin", PASSWORD);
    let f = fixtures(&server, dir.path());
    let work = dir.path().join("schemathesis");
    fs::create_dir(&work).unwrap();
    fs::write(work.join("schemathesis.toml"), config(&f)).unwrap();
    fs::write(work.join("hoard_hooks.py"), HOOKS).unwrap();
    let seconds = std::env::var("HOARD_SCHEMATHESIS_SECONDS").unwrap_or_else(|_| "120".into());
    let seed = std::env::var("HOARD_SCHEMATHESIS_SEED").unwrap_or_else(|_| "1".into());
    let checks = "all";
    let mut run = Command::new("python3");
    run.args([
        "-m",
        "schemathesis.cli",
        "run",
        &server.url("/openapi.json"),
    ])
    .args(["--url", &server.url("/api/v1")])
    .args(["-H", &server.auth(), "-c", checks])
    .args([
        "--max-examples",
        "25",
        "--max-time",
        &seconds,
        "--seed",
        &seed,
    ])
    .args(["--workers", "2", "--request-timeout", "30"])
    .args(["--generation-database", "none", "--no-color"]);
    for op in EXCLUDED {
        run.args(["--exclude-operation-id", op]);
    }
    let output = run
        .current_dir(&work)
        .env("PYTHONPATH", &work)
        .env("SCHEMATHESIS_HOOKS", "hoard_hooks")
        .output()
        .expect("python3 runs");
    let report = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "schemathesis found problems (seed {seed}):\n{report}\n{}\nserver log tail:\n{}",
        String::from_utf8_lossy(&output.stderr),
        tail(&server.log_text(), 4000)
    );
    eprintln!("{}", tail(&report, 2000));
}

fn tail(text: &str, bytes: usize) -> &str {
    let mut start = text.len().saturating_sub(bytes);
    while !text.is_char_boundary(start) {
        start += 1;
    }
    &text[start..]
}
