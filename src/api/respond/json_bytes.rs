//! `JsonBytes<T>`: a JSON response documented exactly like poem-openapi's `Json<T>`, but
//! serialized straight from `T`'s serde `Serialize`, and kept as bytes so it can be cached
//! (folder listings, src/service/drive/listings.rs). `Json<T>` first builds a
//! `serde_json::Value` tree (a `BTreeMap` and a cloned `String` per field) and then
//! serializes that; for a 100-entry listing the detour was about half the request's CPU.
//! `T`'s serde form must equal its OpenAPI form: tests compare the two (tests/api/listing_cache.rs).

use std::marker::PhantomData;

use bytes::Bytes;
use poem::{IntoResponse, Response};
use poem_openapi::payload::Payload;
use poem_openapi::registry::{MetaMediaType, MetaResponse, MetaResponses, MetaSchemaRef, Registry};
use poem_openapi::types::Type;
use poem_openapi::ApiResponse;
use serde::Serialize;

use crate::error::ApiError;

/// A 200 JSON response body: a `T`, already serialized.
pub struct JsonBytes<T> {
    body: Bytes,
    of: PhantomData<fn() -> T>,
}

impl<T: Serialize> JsonBytes<T> {
    pub fn encode(value: &T) -> Result<Self, ApiError> {
        // Listings run to tens of KiB: start big rather than grow (and copy) ten times.
        let mut body = Vec::with_capacity(16 << 10);
        serde_json::to_writer(&mut body, value).map_err(|e| ApiError::internal(&e))?;
        Ok(Self::from_bytes(body.into()))
    }
}

impl<T> JsonBytes<T> {
    /// Bytes that `encode` made earlier.
    pub fn from_bytes(body: Bytes) -> Self {
        Self {
            body,
            of: PhantomData,
        }
    }

    pub fn bytes(&self) -> Bytes {
        self.body.clone()
    }
}

impl<T: Type> Payload for JsonBytes<T> {
    const CONTENT_TYPE: &'static str = "application/json; charset=utf-8";

    fn schema_ref() -> MetaSchemaRef {
        T::schema_ref()
    }

    fn register(registry: &mut Registry) {
        T::register(registry);
    }
}

impl<T: Type> IntoResponse for JsonBytes<T> {
    fn into_response(self) -> Response {
        Response::builder()
            .content_type(<Self as Payload>::CONTENT_TYPE)
            .body(self.body)
    }
}

impl<T: Type> ApiResponse for JsonBytes<T> {
    fn meta() -> MetaResponses {
        MetaResponses {
            responses: vec![MetaResponse {
                description: "",
                status: Some(200),
                status_range: None,
                content: vec![MetaMediaType {
                    content_type: <Self as Payload>::CONTENT_TYPE,
                    schema: <Self as Payload>::schema_ref(),
                }],
                headers: vec![],
            }],
        }
    }

    fn register(registry: &mut Registry) {
        T::register(registry);
    }
}

/// serde form of a timestamp, identical to poem-openapi's (`2026-01-02T03:04:05+00:00`),
/// written digit by digit: chrono's formatter was a fifth of a listing's CPU.
pub fn rfc3339<S: serde::Serializer>(
    time: &chrono::DateTime<chrono::Utc>,
    serializer: S,
) -> Result<S::Ok, S::Error> {
    use chrono::{Datelike, Timelike};
    let year = time.year();
    if !(0..=9999).contains(&year) || time.nanosecond() != 0 {
        return serializer.collect_str(&time.to_rfc3339());
    }
    let mut out = *b"0000-00-00T00:00:00+00:00";
    let fields = [
        (0, year as u32 / 100),
        (2, year as u32 % 100),
        (5, time.month()),
        (8, time.day()),
        (11, time.hour()),
        (14, time.minute()),
        (17, time.second()),
    ];
    for (at, value) in fields {
        out[at] = b'0' + (value / 10 % 10) as u8;
        out[at + 1] = b'0' + (value % 10) as u8;
    }
    // ASCII digits and punctuation only, so this never fails.
    serializer.serialize_str(std::str::from_utf8(&out).unwrap_or_default())
}
