//! `POST /files` (multipart, one or many files, all or none) and `PUT /files/by-path`
//! (a raw body, for scripts and `curl -T`). Both stream to disk while hashing and answer
//! only after the bytes are fsync'd and the rows committed.

use std::sync::Arc;

use poem::Request;
use poem_openapi::param::Query;
use poem_openapi::payload::Json;
use poem_openapi::{ApiResponse, Enum, Object, OpenApi};
use tokio::io::AsyncReadExt;

use super::extract::multipart::{malformed, unexpected_part, UploadForm};
use super::extract::payloads::RawBody;
use super::extract::security::Caller;
use super::files::EntryView;
use super::respond::failure::{ApiResult, DriveWriteErrors};
use super::ApiTags;
use crate::error::ApiError;
use crate::http::multipart::{Field, Multipart};
use crate::http::request_body::{declared_length, linger, Watched};
use crate::ids::EntryId;
use crate::service::drive::names::{parse_path, FileName};
use crate::service::drive::upload::{OnConflict, Outcome};
use crate::service::drive::versions::Source;
use crate::service::drive::{Drive, UploadBatch};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum, Default)]
#[oai(rename_all = "lowercase")]
pub enum ConflictPolicy {
    /// Keep both: the new file becomes `name (1).ext`.
    #[default]
    Rename,
    /// Replace the existing file's content (it keeps its id).
    Overwrite,
    /// Refuse with 409 `name_conflict`.
    Fail,
}

/// The files an upload created.
#[derive(Debug, Object)]
pub struct Uploaded {
    pub items: Vec<EntryView>,
}

#[derive(ApiResponse)]
pub enum UploadCreated {
    #[oai(status = 201)]
    Created(Json<Uploaded>),
}

#[derive(ApiResponse)]
pub enum PutOutcome {
    /// A new file.
    #[oai(status = 201)]
    Created(Json<EntryView>),
    /// An existing file's content was replaced.
    #[oai(status = 200)]
    Replaced(Json<EntryView>),
}

pub struct UploadsApi {
    pub drive: Arc<Drive>,
}

#[OpenApi(tag = "ApiTags::Files")]
impl UploadsApi {
    /// Upload one or more files (`file` parts) into `parent_id` (a part or the query; absent:
    /// the root). All files are stored or none is. A filename holding a path is `invalid_name`.
    #[oai(path = "/files", method = "post", operation_id = "upload_files")]
    async fn upload(
        &self,
        caller: Caller,
        parent_id: Query<Option<i64>>,
        on_conflict: Query<Option<ConflictPolicy>>,
        form: UploadForm,
    ) -> ApiResult<UploadCreated, DriveWriteErrors> {
        let policy = policy(on_conflict.0.unwrap_or_default());
        let parent = parent_id.0.map(EntryId);
        let mut batch = self.drive.batch(caller.0.id(), parent, policy);
        let mut multipart = form.0;
        if let Err(error) = read_form(&mut multipart, &mut batch).await {
            batch.abandon().await;
            linger(multipart.drain()).await;
            return Err(error);
        }
        let entries = batch.commit().await?;
        Ok(UploadCreated::Created(Json(Uploaded {
            items: entries.into_iter().map(EntryView::from).collect(),
        })))
    }

    /// Upload a raw body to a path, creating missing folders: 201 for a new file, 200 when
    /// an existing file's content is replaced. Works with `curl -T FILE URL`.
    #[oai(
        path = "/files/by-path",
        method = "put",
        operation_id = "put_file_by_path"
    )]
    async fn put_by_path(
        &self,
        req: &Request,
        caller: Caller,
        path: Query<String>,
        body: RawBody,
    ) -> ApiResult<PutOutcome, DriveWriteErrors> {
        let names = parse_path(&path.0)?;
        let mut reader = Watched::new(body.0.into_async_read());
        let put = self
            .drive
            .put_stream(
                caller.0.id(),
                names,
                declared_length(req),
                (None, Source::Put),
                &mut reader,
            )
            .await;
        let (entry, outcome) = match put {
            Ok(done) => done,
            Err(error) => {
                reader.refuse(req).await;
                return Err(error.into());
            }
        };
        let view = Json(EntryView::from(entry));
        Ok(match outcome {
            Outcome::Created => PutOutcome::Created(view),
            Outcome::Replaced => PutOutcome::Replaced(view),
        })
    }
}

/// Streams every part of the form into the batch; a `parent_id` part overrides the query
/// for the files after it.
async fn read_form(
    multipart: &mut Multipart,
    batch: &mut UploadBatch<'_>,
) -> ApiResult<(), DriveWriteErrors> {
    while let Some(field) = multipart.next_field().await.map_err(malformed)? {
        match field.name() {
            Some("file") => {
                let name = FileName::parse(field.file_name().unwrap_or_default())?;
                batch.add(name, field).await?;
            }
            Some("parent_id") => {
                let text = small_text(field).await?;
                let id = text.trim().parse().map_err(bad_parent)?;
                batch.set_parent(Some(EntryId(id)));
            }
            other => return Err(unexpected_part(other, "`file` and `parent_id`").into()),
        }
    }
    if batch.is_empty() {
        return Err(ApiError::bad_request("no `file` part in the form").into());
    }
    Ok(())
}

pub(crate) fn policy(policy: ConflictPolicy) -> OnConflict {
    match policy {
        ConflictPolicy::Rename => OnConflict::Rename,
        ConflictPolicy::Overwrite => OnConflict::Overwrite,
        ConflictPolicy::Fail => OnConflict::Fail,
    }
}

/// A short text part (at most 64 bytes are read).
async fn small_text(field: Field<'_>) -> Result<String, ApiError> {
    let mut text = String::new();
    field
        .take(64)
        .read_to_string(&mut text)
        .await
        .map_err(malformed)?;
    Ok(text)
}

fn bad_parent(_: std::num::ParseIntError) -> ApiError {
    ApiError::bad_request("parent_id must be an integer")
}
