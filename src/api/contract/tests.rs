// Tests panic on purpose when something is off.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use poem_openapi::validation::{Pattern, Validator};

use super::*;
use crate::service::drive::names::{parse_path, FileName};
use crate::service::validate::{self, Username};

/// The document poem-openapi derives, from services over a scratch data directory.
fn derived() -> String {
    let dir = tempfile::tempdir().expect("a scratch directory");
    let mut config = crate::config::Config::default();
    config.storage.data_dir = dir.path().to_owned();
    let state = crate::service::Services::open(config).expect("services open");
    crate::api::service(&state).spec()
}

fn matches(pattern: &str, text: &str) -> bool {
    let pattern: &'static str = Box::leak(pattern.to_owned().into_boxed_str());
    Validator::<&str>::check(&Pattern::new(pattern), &text)
}

#[test]
fn every_rule_finds_its_field_or_parameter() {
    let mut doc: Value = serde_json::from_str(&derived()).unwrap_or_default();
    assert!(doc["paths"].is_object());
    assert_eq!(rules::apply(&mut doc), Vec::<String>::new());
}

/// Texts at the edges of the rules: each pattern must agree with the service's parser.
const SAMPLES: &[&str] = &[
    "a",
    "report.pdf",
    ".",
    "..",
    "...",
    ".bashrc",
    "a/b",
    "a\\b",
    "tab\there",
    "nul\0",
    "del\u{7f}",
    "c1\u{85}",
    "zero\u{200b}width",
    "rtl\u{202e}fdp.exe",
    "\u{feff}bom",
    " ",
    "  x  ",
    "\u{3000}",
    "名前",
    "🎉 party",
    "line\nbreak",
    "carriage\r",
    "",
    "abc",
    "ab",
    "a.b-c_d",
    "ali ce",
    "ａｌｉｃｅ",
];

#[test]
fn the_name_and_path_patterns_agree_with_the_drive() {
    for text in SAMPLES {
        let ok = FileName::parse(text).is_ok();
        assert_eq!(matches(&patterns::name(), text), ok, "name {text:?}");
        let path = format!("/{text}/x");
        let ok = parse_path(&path).is_ok();
        assert_eq!(matches(&patterns::path(), &path), ok, "path {path:?}");
    }
}

#[test]
fn the_label_bio_and_username_patterns_agree_with_the_accounts() {
    for text in SAMPLES {
        let ok = validate::display_name(text).is_ok();
        assert_eq!(matches(&patterns::label(), text), ok, "label {text:?}");
        let ok = validate::bio(text).is_ok();
        assert_eq!(matches(&patterns::bio(), text), ok, "bio {text:?}");
        let ok = Username::parse(text).is_ok();
        assert_eq!(
            matches(&patterns::username(), text),
            ok,
            "username {text:?}"
        );
    }
}

#[test]
fn request_objects_are_closed_and_take_null_for_absent_fields() {
    let doc: Value =
        serde_json::from_str(&refine(&derived()).unwrap_or_default()).unwrap_or_default();
    let register = &doc["components"]["schemas"]["RegisterRequest"];
    assert!(
        register.get("additionalProperties").is_none(),
        "SPEC §4 ignores extras"
    );
    assert_eq!(register["properties"]["display_name"]["nullable"], true);
    let folder = &doc["components"]["schemas"]["CreateFolderRequest"];
    assert_eq!(folder["additionalProperties"], false);
    assert_eq!(folder["properties"]["parent_id"]["nullable"], true);
    assert!(folder["properties"]["name"].get("nullable").is_none());
    let user = &doc["components"]["schemas"]["UpdateUserRequest"]["properties"]["role"];
    assert_eq!(user["allOf"][0]["$ref"], "#/components/schemas/Role");
    assert_eq!(user["nullable"], true);
    let form = &doc["paths"]["/users/me/avatar"]["put"]["requestBody"]["content"]
        ["multipart/form-data"]["schema"];
    assert_eq!(form["additionalProperties"], false);
    let copy = &doc["paths"]["/files/{id}/copy"]["post"]["requestBody"]["content"]
        ["application/json; charset=utf-8"]["schema"];
    assert_eq!(copy["nullable"], true, "an optional body may be null");
    let offset = doc["paths"]["/uploads/{id}"]["patch"]["parameters"]
        .as_array()
        .and_then(|ps| ps.iter().find(|p| p["name"] == "Upload-Offset"))
        .map(|p| p["schema"].clone())
        .unwrap_or_default();
    assert_eq!(
        (offset["minimum"].as_u64(), offset["maximum"].as_u64()),
        (Some(0), Some(u64::MAX))
    );
    let kv = &doc["components"]["schemas"]["KvPutRequest"]["properties"]["ttl_s"];
    assert_eq!(
        (kv["minimum"].as_i64(), kv["maximum"].as_u64()),
        (Some(1), Some(2_592_000))
    );
}

#[test]
fn the_tus_patterns_agree_with_the_tus_parsers() {
    use base64::engine::general_purpose::STANDARD;
    use base64::Engine;
    let sha1 = STANDARD.encode([7u8; 20]);
    let sha256 = STANDARD.encode([9u8; 32]);
    let checksums = [
        String::new(),
        format!("sha1 {sha1}"),
        format!("sha256  {sha256}"),
        format!("sha256 {sha1}"),
        format!("md5 {sha1}"),
        "sha1".into(),
        format!("sha1 {}", &sha1[..27]),
        // A stray bit in the last character: not base64 the decoder takes.
        format!("sha1 {}B=", &sha1[..26]),
    ];
    for text in &checksums {
        let ok = crate::api::tus::checksum(Some(text)).is_ok();
        assert_eq!(
            matches(&patterns::tus_checksum(), text),
            ok,
            "checksum {text:?}"
        );
    }
    let metadata = [
        "filename d29ybGQ=,flag",
        "filename d29ybGQ",
        "a YQ==,b Yg==",
        "a !!!",
        "flag",
        "a YQ=",
    ];
    for text in metadata {
        let ok = crate::api::tus::parse_metadata(text).is_ok();
        assert_eq!(
            matches(&patterns::tus_metadata(), text),
            ok,
            "metadata {text:?}"
        );
    }
}
