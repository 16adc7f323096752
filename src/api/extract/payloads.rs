//! Streaming request bodies for file uploads, documented in OpenAPI but never spooled:
//! the handler reads them after authentication, with limits enforced while streaming.

use std::marker::PhantomData;

use poem::{Body, Request, RequestBody};
use poem_openapi::registry::{MetaMediaType, MetaRequest, MetaSchema, MetaSchemaRef, Registry};
use poem_openapi::{ApiExtractor, ApiExtractorType, ExtractParamOptions};

pub(super) fn binary() -> MetaSchemaRef {
    MetaSchemaRef::Inline(Box::new(MetaSchema::new_with_format("string", "binary")))
}

/// The OpenAPI request body: one media type and its schema.
pub(super) fn request_body(
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

/// How a streamed body is documented in OpenAPI.
pub trait BodyDoc: Send {
    const DESCRIPTION: &'static str;
    const CONTENT_TYPE: &'static str;
    const REQUIRED: bool;
}

/// A request body handed to the handler unread, as a stream.
pub struct Streamed<D>(pub Body, PhantomData<D>);

impl<'a, D: BodyDoc> ApiExtractor<'a> for Streamed<D> {
    const TYPES: &'static [ApiExtractorType] = &[ApiExtractorType::RequestObject];
    type ParamType = ();
    type ParamRawType = ();

    fn register(_registry: &mut Registry) {}

    fn request_meta() -> Option<MetaRequest> {
        request_body(D::DESCRIPTION, D::CONTENT_TYPE, binary(), D::REQUIRED)
    }

    async fn from_request(
        _req: &'a Request,
        body: &mut RequestBody,
        _options: ExtractParamOptions<Self::ParamType>,
    ) -> poem::Result<Self> {
        Ok(Streamed(body.take()?, PhantomData))
    }
}

/// A file's bytes of any (or no) Content-Type, e.g. from `curl -T`.
pub struct FileBytes;

impl BodyDoc for FileBytes {
    const DESCRIPTION: &'static str = "The file's bytes. Any Content-Type (or none) is \
        accepted; the server decides the type. No body at all is an empty file (`curl -X PUT`).";
    const CONTENT_TYPE: &'static str = "application/octet-stream";
    // An absent body is a valid empty file, so schema checkers must not expect it refused.
    const REQUIRED: bool = false;
}

/// A tus chunk (PATCH).
pub struct ChunkBytes<const REQUIRED: bool>;

impl<const REQUIRED: bool> BodyDoc for ChunkBytes<REQUIRED> {
    const DESCRIPTION: &'static str = "Upload bytes, appended at `Upload-Offset`.";
    const CONTENT_TYPE: &'static str = crate::api::tus::CHUNK_TYPE;
    const REQUIRED: bool = REQUIRED;
}

pub type RawBody = Streamed<FileBytes>;
/// A tus PATCH body.
pub type TusChunk = Streamed<ChunkBytes<true>>;
/// The optional first bytes of a tus creation (creation-with-upload).
pub type TusCreationChunk = Streamed<ChunkBytes<false>>;
