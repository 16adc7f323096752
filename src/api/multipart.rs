//! Streaming multipart payloads that are still documented in OpenAPI. poem-openapi's
//! `Upload` spools every part to an unbounded temp file before the handler runs; these read
//! the one expected field themselves, with a byte limit, and skip everything else.

use poem::web::Multipart;
use poem::{FromRequest, Request, RequestBody};
use poem_openapi::impl_apirequest_for_payload;
use poem_openapi::payload::{ParsePayload, Payload};
use poem_openapi::registry::{MetaSchema, MetaSchemaRef};
use tokio::io::AsyncReadExt;

use crate::error::ApiError;
use crate::service::avatars::MAX_UPLOAD_BYTES;

/// `multipart/form-data` with one binary field `avatar` (at most 5 MiB).
pub struct AvatarForm(pub Vec<u8>);

impl Payload for AvatarForm {
    const CONTENT_TYPE: &'static str = "multipart/form-data";

    fn check_content_type(content_type: &str) -> bool {
        content_type
            .parse::<mime_guess::mime::Mime>()
            .is_ok_and(|m| m.essence_str() == "multipart/form-data")
    }

    fn schema_ref() -> MetaSchemaRef {
        let file = MetaSchemaRef::Inline(Box::new(MetaSchema::new_with_format("string", "binary")));
        MetaSchemaRef::Inline(Box::new(MetaSchema {
            ty: "object",
            required: vec!["avatar"],
            properties: vec![("avatar", file)],
            ..MetaSchema::ANY
        }))
    }
}

impl ParsePayload for AvatarForm {
    const IS_REQUIRED: bool = true;

    async fn from_request(request: &Request, body: &mut RequestBody) -> poem::Result<Self> {
        let mut multipart = Multipart::from_request(request, body).await?;
        while let Some(field) = multipart.next_field().await.map_err(bad_multipart)? {
            if field.name() != Some("avatar") {
                continue;
            }
            let mut bytes = Vec::new();
            let limit = MAX_UPLOAD_BYTES as u64 + 1;
            field
                .into_async_read()
                .take(limit)
                .read_to_end(&mut bytes)
                .await
                .map_err(bad_multipart)?;
            if bytes.len() > MAX_UPLOAD_BYTES {
                return Err(ApiError::too_large("avatar is larger than 5 MiB").into());
            }
            return Ok(Self(bytes));
        }
        Err(ApiError::bad_request("multipart field `avatar` is missing").into())
    }
}

impl_apirequest_for_payload!(AvatarForm);

fn bad_multipart(error: impl std::fmt::Display) -> poem::Error {
    ApiError::bad_request(format!("malformed multipart body: {error}")).into()
}
