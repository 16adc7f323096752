//! Streaming request bodies for file uploads, documented in OpenAPI but never spooled:
//! the handler reads them after authentication, with limits enforced while streaming.

use poem::web::Multipart;
use poem::{Body, FromRequest, Request, RequestBody};
use poem_openapi::registry::{MetaMediaType, MetaRequest, MetaSchema, MetaSchemaRef, Registry};
use poem_openapi::{ApiExtractor, ApiExtractorType, ExtractParamOptions};

use crate::error::ApiError;

fn binary() -> MetaSchemaRef {
    MetaSchemaRef::Inline(Box::new(MetaSchema::new_with_format("string", "binary")))
}

/// The OpenAPI request body: one media type and its schema.
fn request_body(
    description: &'static str,
    content_type: &'static str,
    schema: MetaSchemaRef,
    required: bool,
) -> Option<MetaRequest> {
    Some(MetaRequest {
        description: Some(description),
        content: vec![MetaMediaType {
            content_type,
            schema,
        }],
        required,
    })
}

/// A raw request body of any (or no) Content-Type, e.g. from `curl -T`.
pub struct RawBody(pub Body);

impl<'a> ApiExtractor<'a> for RawBody {
    const TYPES: &'static [ApiExtractorType] = &[ApiExtractorType::RequestObject];
    type ParamType = ();
    type ParamRawType = ();

    fn register(_registry: &mut Registry) {}

    fn request_meta() -> Option<MetaRequest> {
        request_body(
            "The file's bytes. Any Content-Type (or none) is accepted; the server decides the type.",
            "application/octet-stream",
            binary(),
            true,
        )
    }

    async fn from_request(
        _req: &'a Request,
        body: &mut RequestBody,
        _options: ExtractParamOptions<Self::ParamType>,
    ) -> poem::Result<Self> {
        Ok(RawBody(body.take()?))
    }
}

/// A tus chunk: `application/offset+octet-stream` bytes, required for PATCH and optional
/// for creation (creation-with-upload).
pub struct TusChunk<const REQUIRED: bool>(pub Body);

impl<'a, const REQUIRED: bool> ApiExtractor<'a> for TusChunk<REQUIRED> {
    const TYPES: &'static [ApiExtractorType] = &[ApiExtractorType::RequestObject];
    type ParamType = ();
    type ParamRawType = ();

    fn register(_registry: &mut Registry) {}

    fn request_meta() -> Option<MetaRequest> {
        request_body(
            "Upload bytes, appended at `Upload-Offset`.",
            super::tus::CHUNK_TYPE,
            binary(),
            REQUIRED,
        )
    }

    async fn from_request(
        _req: &'a Request,
        body: &mut RequestBody,
        _options: ExtractParamOptions<Self::ParamType>,
    ) -> poem::Result<Self> {
        Ok(TusChunk(body.take()?))
    }
}

/// How long a refused upload's remaining body is read and discarded before answering.
/// Without it the client may still be sending when the connection closes, and sees a reset
/// instead of the error (nginx calls this lingering close).
const LINGER: std::time::Duration = std::time::Duration::from_secs(10);

/// Runs `drain` (reading a refused body to its end) for at most [`LINGER`].
pub async fn linger<F: std::future::Future>(drain: F) {
    let _ = tokio::time::timeout(LINGER, drain).await;
}

/// `multipart/form-data` with one or more `file` parts and an optional `parent_id` part.
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
        let is_multipart = req
            .content_type()
            .is_some_and(|ct| ct.starts_with("multipart/form-data"));
        if !is_multipart {
            return Err(ApiError::new(
                poem::http::StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "unsupported_media_type",
                "expected multipart/form-data",
            )
            .into());
        }
        Ok(UploadForm(
            <Multipart as FromRequest>::from_request(req, body).await?,
        ))
    }
}
