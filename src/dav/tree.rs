//! DELETE (to the trash, like the API; a folder with all it holds) and MKCOL.

use poem::http::StatusCode;
use poem::{Body, Response};

use super::conditions::{depth, Depth};
use super::respond::{self, Failure};
use super::{Call, Dav, Target};
use crate::error::ApiError;
use crate::ids::EntryId;

impl Dav {
    pub(super) async fn delete(&self, call: &Call<'_>) -> Result<Response, Failure> {
        let target = self.target(call.owner, &call.path).await?;
        let entry = match &target {
            Target::Missing => return Err(ApiError::not_found().into()),
            Target::Root => return Err(respond::root_refused()),
            Target::Entry(e) => e,
        };
        if entry.record.is_folder && matches!(depth(call.req)?, Some(Depth::Zero | Depth::One)) {
            return Err(ApiError::bad_request("DELETE of a folder is Depth: infinity").into());
        }
        self.guard(call, &target, true, true).await?;
        self.0
            .drive
            .delete(call.owner, EntryId(entry.record.id))
            .await?;
        self.0.locks.forget(call.owner, &call.path.key()).await?;
        Ok(no_content())
    }

    pub(super) async fn mkcol(&self, call: &Call<'_>, body: Body) -> Result<Response, Failure> {
        let bytes = body.into_bytes_limit(1).await.map_err(|_| {
            ApiError::new(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "unsupported_media_type",
                "MKCOL takes no body",
            )
        })?;
        if !bytes.is_empty() {
            return Err(ApiError::new(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "unsupported_media_type",
                "MKCOL takes no body",
            )
            .into());
        }
        let target = self.target(call.owner, &call.path).await?;
        if target.exists() {
            return Err(respond::method_not_allowed());
        }
        let parent = self.parent_folder(call.owner, &call.path).await?;
        self.guard(call, &target, false, true).await?;
        let name = call
            .path
            .last()
            .cloned()
            .ok_or_else(respond::root_refused)?;
        self.0.drive.create_folder(call.owner, parent, name).await?;
        Ok(Response::builder().status(StatusCode::CREATED).finish())
    }
}

pub(super) fn no_content() -> Response {
    Response::builder().status(StatusCode::NO_CONTENT).finish()
}
