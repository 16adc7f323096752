//! The OpenAPI document as published (`/openapi.json`, `docs/openapi.json`): what
//! poem-openapi derives from the handlers, refined with what the server enforces and the
//! derive cannot say, so that a generated client sends only what the server accepts and
//! a schema-driven tester finds nothing the document does not state.
//!
//! The refinements are general rules (request objects refuse unknown fields and take
//! `null` for an absent optional field; unsigned integers keep to their type's range) and a table of
//! per-field and per-parameter constraints (`rules.rs`) built from the services' own
//! limits. Validation itself stays in the services, with its SPEC codes (422 with
//! `fields`, `invalid_name`, `weak_password`): poem-openapi's validators would answer 400.

mod patterns;
mod rules;

use serde_json::{json, Map, Value};

/// poem-openapi's document (JSON text), refined.
pub fn refine(spec: &str) -> Result<String, serde_json::Error> {
    let mut doc: Value = serde_json::from_str(spec)?;
    close_request_objects(&mut doc);
    unsigned_ranges(&mut doc);
    rules::apply(&mut doc);
    serde_json::to_string_pretty(&doc)
}

/// Every operation object of the document.
fn operations_mut(doc: &mut Value) -> impl Iterator<Item = &mut Value> {
    doc["paths"]
        .as_object_mut()
        .into_iter()
        .flat_map(|paths| paths.values_mut())
        .flat_map(|item| {
            item.as_object_mut()
                .into_iter()
                .flat_map(|i| i.values_mut())
        })
}

/// Every JSON request object refuses unknown fields (`#[oai(deny_unknown_fields)]`) and
/// every form refuses unknown parts; an optional JSON field takes `null` as "absent".
fn close_request_objects(doc: &mut Value) {
    let mut named = Vec::new();
    for op in operations_mut(doc) {
        close_bodies(op, &mut named);
    }
    for (name, json) in named {
        let open = rules::OPEN_OBJECTS.contains(&name.as_str());
        if let Some(schema) = doc.pointer_mut(&format!("/components/schemas/{name}")) {
            match open {
                true => optional_fields_take_null(schema),
                false => close(schema, json),
            }
        }
    }
}

/// Closes an operation's inline body schemas and notes its named ones (with whether they
/// are JSON). An optional JSON body may also be `null`, which is read as no body.
fn close_bodies(op: &mut Value, named: &mut Vec<(String, bool)>) {
    let optional = op["requestBody"]["required"] != true;
    let bodies = op
        .pointer_mut("/requestBody/content")
        .and_then(Value::as_object_mut);
    for (media, body) in bodies.into_iter().flatten() {
        let json = media.starts_with("application/json");
        let Some(reference) = body["schema"]["$ref"].as_str().map(str::to_owned) else {
            close(&mut body["schema"], json);
            continue;
        };
        named.push((component_name(&reference), json));
        if json && optional {
            body["schema"] = json!({ "allOf": [{ "$ref": reference }], "nullable": true });
        }
    }
}

fn component_name(reference: &str) -> String {
    reference
        .trim_start_matches("#/components/schemas/")
        .to_owned()
}

fn close(schema: &mut Value, json: bool) {
    if schema["type"] != "object" {
        return;
    }
    schema["additionalProperties"] = Value::Bool(false);
    if json {
        optional_fields_take_null(schema);
    }
}

fn optional_fields_take_null(schema: &mut Value) {
    let required: Vec<Value> = schema["required"].as_array().cloned().unwrap_or_default();
    let Some(properties) = schema["properties"].as_object_mut() else {
        return;
    };
    for (name, property) in properties.iter_mut() {
        if required.contains(&Value::String(name.clone())) {
            continue;
        }
        if let Some(reference) = property.get("$ref").cloned() {
            *property = json!({ "allOf": [{ "$ref": reference }] });
        }
        property["nullable"] = Value::Bool(true);
    }
}

/// `uint32`/`uint64` values are never negative nor above their type's maximum: say so in
/// JSON Schema's own terms.
fn unsigned_ranges(value: &mut Value) {
    match value {
        Value::Object(map) => {
            let integer = map.get("type") == Some(&json!("integer"));
            let format = map.get("format").and_then(Value::as_str);
            if let Some(max) = format.filter(|_| integer).and_then(unsigned_maximum) {
                map.entry("minimum").or_insert(json!(0));
                map.entry("maximum").or_insert(max);
            }
            map.values_mut().for_each(unsigned_ranges);
        }
        Value::Array(items) => items.iter_mut().for_each(unsigned_ranges),
        _ => {}
    }
}

fn unsigned_maximum(format: &str) -> Option<Value> {
    match format {
        "uint8" => Some(json!(u8::MAX)),
        "uint16" => Some(json!(u16::MAX)),
        "uint32" => Some(json!(u32::MAX)),
        "uint64" => Some(json!(u64::MAX)),
        _ => None,
    }
}

/// Merges `constraints` (an object) into `schema`.
fn constrain(schema: &mut Value, constraints: Map<String, Value>) {
    if let Some(target) = schema.as_object_mut() {
        target.extend(constraints);
    }
}

#[cfg(test)]
mod tests;
