//! The OpenAPI document: committed, current, valid, and complete.

use std::process::Command;

use serde_json::Value;

use crate::helpers::TestApp;

const COMMITTED: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/docs/openapi.json");

fn generated() -> String {
    let app = TestApp::new();
    hoard::api::openapi_document(&app.state)
}

#[test]
fn the_committed_spec_matches_the_code() {
    let spec = generated();
    if std::env::var_os("UPDATE_OPENAPI").is_some() {
        std::fs::write(COMMITTED, format!("{spec}\n")).expect("write docs/openapi.json");
    }
    let committed = std::fs::read_to_string(COMMITTED).unwrap_or_default();
    assert!(
        committed.trim_end() == spec.trim_end(),
        "docs/openapi.json is out of date: run `cargo run --release -- openapi > docs/openapi.json` (or `UPDATE_OPENAPI=1 cargo test --release --test api openapi`) and commit it"
    );
}

#[test]
fn every_operation_is_tagged_named_and_lists_its_errors() {
    let spec: Value = serde_json::from_str(&generated()).unwrap();
    assert!(spec["openapi"].as_str().unwrap().starts_with("3."));
    assert_eq!(
        spec["components"]["securitySchemes"]["bearer"]["scheme"],
        "bearer"
    );
    let mut operations = 0;
    for (path, item) in spec["paths"].as_object().unwrap() {
        for (method, op) in item.as_object().unwrap() {
            operations += 1;
            let name = format!("{method} {path}");
            assert!(
                op["operationId"].as_str().is_some_and(|id| !id.is_empty()),
                "{name} has an operationId"
            );
            assert!(
                op["tags"].as_array().is_some_and(|t| !t.is_empty()),
                "{name} is tagged"
            );
            let responses = op["responses"].as_object().unwrap();
            // Success is a 2xx, or the 302 of a browser redirect (single sign-on).
            assert!(
                responses.keys().any(|s| s.starts_with('2') || s == "302"),
                "{name} documents success"
            );
            for status in ["400", "500"] {
                let schema = &responses[status]["content"]["application/json; charset=utf-8"]
                    ["schema"]["$ref"];
                assert_eq!(
                    schema, "#/components/schemas/Error",
                    "{name} documents {status} with the error shape"
                );
            }
            if op.get("security").is_some() {
                assert!(
                    responses.contains_key("401"),
                    "{name}: secured operations document 401"
                );
            }
        }
    }
    assert!(operations >= 30, "all routes are documented ({operations})");
    for field in ["username", "email", "password"] {
        let description =
            &spec["components"]["schemas"]["RegisterRequest"]["properties"][field]["description"];
        assert!(
            description.as_str().is_some_and(|d| !d.is_empty()),
            "RegisterRequest.{field} is documented"
        );
    }
}

/// A path served by two `#[OpenApi]` impls (`/files`) is one `paths` key: a repeated key
/// would lose the operations of all but the last to every JSON reader.
#[test]
fn each_path_is_one_key_so_no_operation_is_lost_to_json_readers() {
    let text = generated();
    let spec: Value = serde_json::from_str(&text).unwrap();
    let parsed: usize = spec["paths"]
        .as_object()
        .unwrap()
        .values()
        .map(|item| item.as_object().unwrap().len())
        .sum();
    assert_eq!(text.matches("\"operationId\"").count(), parsed);
    for (path, method) in [("/files", "get"), ("/files/by-path", "get")] {
        assert!(spec["paths"][path][method].is_object(), "{method} {path}");
    }
}

#[test]
fn the_spec_passes_openapi_spec_validator() {
    let python = "python3";
    crate::support::python::ensure_module("openapi_spec_validator", "openapi-spec-validator");
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("openapi.json");
    std::fs::write(&path, generated()).unwrap();
    let output = Command::new(python)
        .args(["-m", "openapi_spec_validator"])
        .arg(&path)
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "openapi-spec-validator: {}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
}
