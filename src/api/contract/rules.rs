//! What the server enforces on each field and parameter, in JSON Schema terms, from the
//! services' own limits. Every rule must find its target (the tests hold the table to the
//! document), so renaming a field cannot silently drop its constraint.

use serde_json::{json, Map, Value};

use super::{constrain, patterns};
use crate::api::admin::{MAX_KEY_CHARS, MAX_TTL_S as KV_MAX_TTL_S};
use crate::service::api_tokens::MAX_DAYS;
use crate::service::drive::names::MAX_NAME_BYTES;
use crate::service::links::MAX_TTL_S as LINK_MAX_TTL_S;
use crate::service::media::{THUMB_MAX, THUMB_MIN};
use crate::service::passwords::{MAX_LEN, MIN_LEN};
use crate::service::shares::MAX_PASSWORD_CHARS;
use crate::service::validate::{BIO_MAX_CHARS, LABEL_MAX_CHARS, USERNAME_CHARS};

/// Request objects that ignore unknown fields instead of refusing them (every other one
/// has `#[oai(deny_unknown_fields)]`): registration, where SPEC §4 has a `role` ignored.
pub(super) const OPEN_OBJECTS: &[&str] = &["RegisterRequest"];

/// A constraint on `property` of the component schema `schema`.
pub(super) struct Field {
    pub schema: &'static str,
    pub property: &'static str,
    pub rule: fn() -> Value,
}

/// A constraint on every parameter called `name` (of the operations `ops`, or of all when
/// empty); `required` marks it required.
pub(super) struct Param {
    pub name: &'static str,
    pub ops: &'static [&'static str],
    pub required: bool,
    pub rule: fn() -> Value,
}

fn name() -> Value {
    json!({
        "minLength": 1,
        "maxLength": MAX_NAME_BYTES,
        "pattern": patterns::name(),
        "description": "1–255 bytes of UTF-8 (NFC); no `/`, `\\`, control or invisible \
                        formatting characters; not `.` or `..`."
    })
}

fn username() -> Value {
    let (min, max) = USERNAME_CHARS;
    json!({ "pattern": patterns::username(), "minLength": min, "maxLength": max })
}

fn email() -> Value {
    json!({ "format": "email", "maxLength": 254 })
}

fn password() -> Value {
    json!({ "minLength": MIN_LEN, "maxLength": MAX_LEN })
}

fn label() -> Value {
    json!({ "minLength": 1, "maxLength": LABEL_MAX_CHARS, "pattern": patterns::label() })
}

fn bio() -> Value {
    json!({ "maxLength": BIO_MAX_CHARS, "pattern": patterns::bio() })
}

fn share_password() -> Value {
    json!({ "minLength": 1, "maxLength": MAX_PASSWORD_CHARS })
}

fn at_least_zero() -> Value {
    json!({ "minimum": 0 })
}

fn at_least_one() -> Value {
    json!({ "minimum": 1 })
}

pub(super) const FIELDS: &[Field] = &[
    Field {
        schema: "RegisterRequest",
        property: "username",
        rule: username,
    },
    Field {
        schema: "RegisterRequest",
        property: "email",
        rule: email,
    },
    Field {
        schema: "RegisterRequest",
        property: "password",
        rule: password,
    },
    Field {
        schema: "RegisterRequest",
        property: "display_name",
        rule: label,
    },
    Field {
        schema: "ChangePasswordRequest",
        property: "new_password",
        rule: password,
    },
    Field {
        schema: "CreateUserRequest",
        property: "username",
        rule: username,
    },
    Field {
        schema: "CreateUserRequest",
        property: "email",
        rule: email,
    },
    Field {
        schema: "CreateUserRequest",
        property: "password",
        rule: password,
    },
    Field {
        schema: "CreateUserRequest",
        property: "display_name",
        rule: label,
    },
    Field {
        schema: "CreateUserRequest",
        property: "storage_quota",
        rule: at_least_zero,
    },
    Field {
        schema: "UpdateUserRequest",
        property: "email",
        rule: email,
    },
    Field {
        schema: "UpdateUserRequest",
        property: "display_name",
        rule: label,
    },
    Field {
        schema: "UpdateUserRequest",
        property: "storage_quota",
        rule: at_least_zero,
    },
    Field {
        schema: "UpdateProfileRequest",
        property: "username",
        rule: username,
    },
    Field {
        schema: "UpdateProfileRequest",
        property: "email",
        rule: email,
    },
    Field {
        schema: "UpdateProfileRequest",
        property: "display_name",
        rule: label,
    },
    Field {
        schema: "UpdateProfileRequest",
        property: "bio",
        rule: bio,
    },
    Field {
        schema: "CreateTokenRequest",
        property: "name",
        rule: label,
    },
    Field {
        schema: "CreateTokenRequest",
        property: "expires_in_days",
        rule: || json!({ "minimum": 1, "maximum": MAX_DAYS }),
    },
    Field {
        schema: "CreateFolderRequest",
        property: "name",
        rule: name,
    },
    Field {
        schema: "UpdateEntryRequest",
        property: "name",
        rule: name,
    },
    Field {
        schema: "CopyRequest",
        property: "name",
        rule: name,
    },
    Field {
        schema: "CreateShareRequest",
        property: "password",
        rule: share_password,
    },
    Field {
        schema: "CreateShareRequest",
        property: "max_downloads",
        rule: at_least_one,
    },
    Field {
        schema: "UpdateShareRequest",
        property: "password",
        rule: share_password,
    },
    Field {
        schema: "UpdateShareRequest",
        property: "max_downloads",
        rule: at_least_one,
    },
    Field {
        schema: "LinkRequest",
        property: "expires_in_s",
        rule: || json!({ "minimum": 1, "maximum": LINK_MAX_TTL_S }),
    },
    Field {
        schema: "KvPutRequest",
        property: "ttl_s",
        rule: || json!({ "minimum": 1, "maximum": KV_MAX_TTL_S }),
    },
];

pub(super) const PARAMS: &[Param] = &[
    Param {
        name: "limit",
        ops: &[],
        required: false,
        rule: at_least_zero,
    },
    Param {
        name: "offset",
        ops: &[],
        required: false,
        rule: at_least_zero,
    },
    Param {
        name: "size",
        ops: &[],
        required: false,
        rule: || json!({ "minimum": THUMB_MIN, "maximum": THUMB_MAX }),
    },
    Param {
        name: "key",
        ops: &[],
        required: true,
        rule: || json!({ "minLength": 1, "maxLength": MAX_KEY_CHARS }),
    },
    Param {
        name: "path",
        ops: &["put_file_by_path", "get_file_by_path"],
        required: true,
        rule: || json!({ "pattern": patterns::path() }),
    },
    // Inside a share: the shared entry itself for none, `` or `/`; a wrong path is 404.
    Param {
        name: "path",
        ops: &[
            "get_public_share",
            "download_public_share",
            "get_public_share_content",
            "get_public_share_thumbnail",
        ],
        required: false,
        rule: || json!({ "pattern": patterns::share_path() }),
    },
    Param {
        name: "ids",
        ops: &[],
        required: false,
        rule: || json!({ "pattern": "^(?:[0-9]{1,18}(?:,[0-9]{1,18})*)?$" }),
    },
    Param {
        name: "Upload-Checksum",
        ops: &[],
        required: false,
        rule: || json!({ "pattern": patterns::tus_checksum() }),
    },
    Param {
        name: "Upload-Metadata",
        ops: &[],
        required: false,
        rule: || json!({ "pattern": patterns::tus_metadata() }),
    },
    // tus 1.0.0: every request but OPTIONS names the version; another is 412.
    Param {
        name: "Tus-Resumable",
        ops: &[],
        required: true,
        rule: || json!({ "enum": ["1.0.0"] }),
    },
];

fn object(value: Value) -> Map<String, Value> {
    match value {
        Value::Object(map) => map,
        _ => Map::new(),
    }
}

/// Applies the table; returns the rules that found no target (the tests want none).
pub(super) fn apply(doc: &mut Value) -> Vec<String> {
    let mut missed = Vec::new();
    for field in FIELDS {
        let at = format!(
            "/components/schemas/{}/properties/{}",
            field.schema, field.property
        );
        match doc.pointer_mut(&at) {
            Some(property) => constrain(property, object((field.rule)())),
            None => missed.push(format!("{}.{}", field.schema, field.property)),
        }
    }
    for param in PARAMS {
        if constrain_params(doc, param) == 0 {
            missed.push(format!("parameter {}", param.name));
        }
    }
    missed
}

/// Constrains every parameter called `param.name`; returns how many there were.
fn constrain_params(doc: &mut Value, param: &Param) -> usize {
    let mut count = 0;
    let chosen = |op: &Value| {
        let id = op["operationId"].as_str().unwrap_or_default();
        param.ops.is_empty() || param.ops.contains(&id)
    };
    for op in super::operations_mut(doc).filter(|op| chosen(op)) {
        let params = op.get_mut("parameters").and_then(Value::as_array_mut);
        for p in params
            .into_iter()
            .flatten()
            .filter(|p| p["name"] == param.name)
        {
            if let Some(schema) = p.get_mut("schema") {
                constrain(schema, object((param.rule)()));
            }
            if param.required {
                p["required"] = Value::Bool(true);
            }
            count += 1;
        }
    }
    count
}
