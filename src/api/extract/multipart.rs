//! The multipart forms of the API, documented in OpenAPI and read as they stream by
//! `crate::http::multipart` (poem-openapi's `Upload` would spool every part to an unbounded temp
//! file before the handler runs): the upload form, read part by part by its handler, and the
//! avatar form, whose one field is read here with a byte limit.

use poem::{Request, RequestBody};
use poem_openapi::impl_apirequest_for_payload;
use poem_openapi::payload::{ParsePayload, Payload};
use poem_openapi::registry::{MetaRequest, MetaSchema, MetaSchemaRef, Registry};
use poem_openapi::{ApiExtractor, ApiExtractorType, ExtractParamOptions};
use tokio::io::AsyncReadExt;

use super::payloads::{binary, request_body};
use crate::error::ApiError;
use crate::http::multipart::{self, Multipart};
use crate::service::avatars::MAX_UPLOAD_BYTES;

/// 400 `bad_request` for a form that cannot be read.
pub fn malformed(error: impl std::fmt::Display) -> ApiError {
    ApiError::bad_request(format!("malformed multipart body: {error}"))
}

/// A part the form does not take: the forms are closed (`additionalProperties: false`),
/// so a stray part is a mistake to report, not data to drop silently.
pub fn unexpected_part(name: Option<&str>, takes: &str) -> ApiError {
    ApiError::bad_request(format!(
        "unexpected multipart part {:?}: the form takes {takes}",
        name.unwrap_or_default()
    ))
}

/// A reader of the form in `body`, whose `content_type` names the boundary.
fn open(content_type: &str, body: &mut RequestBody) -> Result<Multipart, ApiError> {
    let boundary = multipart::boundary(content_type).map_err(malformed)?;
    let body = body.take().map_err(malformed)?;
    Multipart::new(body, &boundary).map_err(malformed)
}

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
        let mut multipart = open(request.content_type().unwrap_or_default(), body)?;
        let mut avatar = None;
        while let Some(field) = multipart.next_field().await.map_err(malformed)? {
            if field.name() != Some("avatar") || avatar.is_some() {
                return Err(unexpected_part(field.name(), "one `avatar`").into());
            }
            avatar = Some(read_avatar(field).await?);
        }
        avatar
            .map(Self)
            .ok_or_else(|| ApiError::bad_request("multipart field `avatar` is missing").into())
    }
}

/// The avatar part's bytes, at most 5 MiB.
async fn read_avatar(field: impl tokio::io::AsyncRead + Unpin) -> poem::Result<Vec<u8>> {
    let mut bytes = Vec::new();
    let limit = MAX_UPLOAD_BYTES as u64 + 1;
    field
        .take(limit)
        .read_to_end(&mut bytes)
        .await
        .map_err(malformed)?;
    if bytes.len() > MAX_UPLOAD_BYTES {
        return Err(ApiError::too_large("avatar is larger than 5 MiB").into());
    }
    Ok(bytes)
}

impl_apirequest_for_payload!(AvatarForm);

/// `multipart/form-data` with one or more `file` parts and an optional `parent_id` part,
/// read by the handler as it streams in.
pub struct UploadForm(pub Multipart);

impl<'a> ApiExtractor<'a> for UploadForm {
    const TYPES: &'static [ApiExtractorType] = &[ApiExtractorType::RequestObject];
    type ParamType = ();
    type ParamRawType = ();

    fn register(_registry: &mut Registry) {}

    fn request_meta() -> Option<MetaRequest> {
        let files = MetaSchema {
            ty: "array",
            items: Some(Box::new(binary())),
            min_items: Some(1),
            ..MetaSchema::ANY
        };
        let parent = MetaSchema::new_with_format("integer", "int64");
        let form = MetaSchema {
            ty: "object",
            required: vec!["file"],
            properties: vec![
                ("file", MetaSchemaRef::Inline(Box::new(files))),
                ("parent_id", MetaSchemaRef::Inline(Box::new(parent))),
            ],
            ..MetaSchema::ANY
        };
        request_body(
            "One or more `file` parts (each with a filename) and an optional `parent_id`.",
            "multipart/form-data",
            MetaSchemaRef::Inline(Box::new(form)),
            true,
        )
    }

    async fn from_request(
        req: &'a Request,
        body: &mut RequestBody,
        _options: ExtractParamOptions<Self::ParamType>,
    ) -> poem::Result<Self> {
        let Some(content_type) = req
            .content_type()
            .filter(|ct| ct.starts_with("multipart/form-data"))
        else {
            return Err(ApiError::new(
                poem::http::StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "unsupported_media_type",
                "expected multipart/form-data",
            )
            .into());
        };
        Ok(UploadForm(open(content_type, body)?))
    }
}
