//! `/users/me` and avatars: the caller's own profile.

use std::sync::Arc;

use poem_openapi::param::Path;
use poem_openapi::payload::{Binary, Json};
use poem_openapi::{ApiResponse, Object, OpenApi};

use super::extract::multipart::AvatarForm;
use super::extract::security::Caller;
use super::extract::text::Text;
use super::respond::failure::{ApiResult, UserErrors, UserWriteErrors};
use super::respond::models::User;
use super::{ApiTags, NoContent};
use crate::ids::UserId;
use crate::service::accounts::{Accounts, ProfileChanges};

/// Fields a user may change on their own profile. Anything else (`role`,
/// `storage_quota`, `is_active`, unknown names) is refused with 400 and changes nothing.
#[derive(Debug, Object)]
#[oai(deny_unknown_fields)]
pub struct UpdateProfileRequest {
    /// 1–64 characters.
    pub display_name: Option<Text>,
    /// A valid, unused email address.
    pub email: Option<Text>,
    /// At most 500 characters.
    pub bio: Option<Text>,
    /// A new, unused username.
    pub username: Option<Text>,
}

#[derive(ApiResponse)]
pub enum AvatarImage {
    /// The avatar, always a PNG re-encoded by the server.
    #[oai(status = 200, content_type = "image/png")]
    Png(
        Binary<Vec<u8>>,
        #[oai(header = "Cache-Control")] String,
        #[oai(header = "X-Content-Type-Options")] String,
    ),
}

pub struct ProfileApi {
    pub accounts: Arc<Accounts>,
}

#[OpenApi(tag = "ApiTags::Profile")]
impl ProfileApi {
    /// My account.
    #[oai(path = "/users/me", method = "get", operation_id = "get_me")]
    async fn get_me(&self, caller: Caller) -> ApiResult<Json<User>, UserErrors> {
        // Fresh, not the cached principal: storage_used moves with every upload.
        Ok(Json(User::from(&self.accounts.get(caller.0.id()).await?)))
    }

    /// Change my display name, email, bio or username.
    #[oai(path = "/users/me", method = "patch", operation_id = "update_me")]
    async fn update_me(
        &self,
        caller: Caller,
        body: Json<UpdateProfileRequest>,
    ) -> ApiResult<Json<User>, UserWriteErrors> {
        let body = body.0;
        let changes = ProfileChanges {
            username: body.username.map(String::from),
            email: body.email.map(String::from),
            display_name: body.display_name.map(String::from),
            bio: body.bio.map(String::from),
        };
        let user = self.accounts.update_profile(&caller.0, changes).await?;
        Ok(Json(User::from(&user)))
    }

    /// Set my avatar: a PNG, JPEG, GIF or WebP of at most 5 MiB (recognised by its bytes),
    /// stored re-encoded as PNG of at most 512×512.
    #[oai(path = "/users/me/avatar", method = "put", operation_id = "set_avatar")]
    async fn set_avatar(
        &self,
        caller: Caller,
        form: AvatarForm,
    ) -> ApiResult<Json<User>, UserWriteErrors> {
        let user = self.accounts.set_avatar(&caller.0, form.0).await?;
        Ok(Json(User::from(&user)))
    }

    /// Remove my avatar.
    #[oai(
        path = "/users/me/avatar",
        method = "delete",
        operation_id = "delete_avatar"
    )]
    async fn delete_avatar(&self, caller: Caller) -> ApiResult<NoContent, UserErrors> {
        self.accounts.delete_avatar(&caller.0).await?;
        Ok(NoContent::Done)
    }

    /// Any user's avatar; visible to every signed-in user of the instance.
    #[oai(
        path = "/users/:id/avatar",
        method = "get",
        operation_id = "get_avatar"
    )]
    async fn get_avatar(
        &self,
        _caller: Caller,
        id: Path<i64>,
    ) -> ApiResult<AvatarImage, UserErrors> {
        let (png, _) = self.accounts.avatar(UserId(id.0)).await?;
        Ok(AvatarImage::Png(
            Binary(png),
            "private, max-age=300".into(),
            "nosniff".into(),
        ))
    }
}
