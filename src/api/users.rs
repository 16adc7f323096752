//! `/users` for admins: list, create, read, change, activate, deactivate, delete.

use std::sync::Arc;

use poem_openapi::param::{Path, Query};
use poem_openapi::payload::Json;
use poem_openapi::types::MaybeUndefined;
use poem_openapi::{ApiResponse, Object, OpenApi};

use super::extract::pagination::Page;
use super::extract::security::AdminCaller;
use super::extract::text::Text;
use super::respond::failure::{AdminErrors, AdminWriteErrors, ApiResult};
use super::respond::models::{Role, User, UserList};
use super::{ApiTags, NoContent};
use crate::ids::UserId;
use crate::service::accounts::{Accounts, NewAccount};
use crate::service::admin::AdminChanges;

/// A new account; `role` defaults to `user`.
#[derive(Debug, Object)]
#[oai(deny_unknown_fields)]
pub struct CreateUserRequest {
    pub username: Text,
    pub email: Text,
    /// Same rules as at registration.
    pub password: Text,
    // Described on the struct: see `User::role`.
    pub role: Option<Role>,
    /// Bytes; absent or null: unlimited.
    pub storage_quota: Option<i64>,
    /// Defaults to the username.
    pub display_name: Option<Text>,
}

/// Admin changes to an account; absent fields are left alone.
#[derive(Debug, Object)]
#[oai(deny_unknown_fields)]
pub struct UpdateUserRequest {
    pub role: Option<Role>,
    /// Bytes; `null` removes the quota.
    pub storage_quota: MaybeUndefined<i64>,
    /// Deactivating ends the user's sessions and blocks their API tokens.
    pub is_active: Option<bool>,
    pub display_name: Option<Text>,
    pub email: Option<Text>,
}

#[derive(ApiResponse)]
pub enum UserCreated {
    #[oai(status = 201)]
    Created(Json<User>),
}

pub struct UsersApi {
    pub accounts: Arc<Accounts>,
}

#[OpenApi(tag = "ApiTags::Users")]
impl UsersApi {
    /// List users, optionally searching username, email and display name.
    #[oai(path = "/users", method = "get", operation_id = "list_users")]
    async fn list_users(
        &self,
        _admin: AdminCaller,
        q: Query<Option<String>>,
        limit: Query<Option<i64>>,
        offset: Query<Option<i64>>,
    ) -> ApiResult<Json<UserList>, AdminErrors> {
        let page = Page::parse(limit.0, offset.0)?;
        let (users, total) = self
            .accounts
            .search(q.0.unwrap_or_default(), page.limit, page.offset)
            .await?;
        let items = users.iter().map(User::from).collect();
        Ok(Json(UserList {
            items,
            total,
            limit: page.limit,
            offset: page.offset,
        }))
    }

    /// Create an account with a chosen role and quota.
    #[oai(path = "/users", method = "post", operation_id = "create_user")]
    async fn create_user(
        &self,
        _admin: AdminCaller,
        body: Json<CreateUserRequest>,
    ) -> ApiResult<UserCreated, AdminWriteErrors> {
        let body = body.0;
        let account = NewAccount {
            username: body.username.into(),
            email: body.email.into(),
            password: body.password.into(),
            display_name: body.display_name.map(String::from),
            admin: body.role == Some(Role::Admin),
            storage_quota: body.storage_quota,
            ..NewAccount::default()
        };
        let user = self.accounts.create(account).await?;
        Ok(UserCreated::Created(Json(User::from(&user))))
    }

    /// One account.
    #[oai(path = "/users/:id", method = "get", operation_id = "get_user")]
    async fn get_user(
        &self,
        _admin: AdminCaller,
        id: Path<i64>,
    ) -> ApiResult<Json<User>, AdminErrors> {
        Ok(Json(User::from(&self.accounts.get(UserId(id.0)).await?)))
    }

    /// Change role, quota, activation, display name or email. The last active admin cannot
    /// be demoted or deactivated (`last_admin`).
    #[oai(path = "/users/:id", method = "patch", operation_id = "update_user")]
    async fn update_user(
        &self,
        _admin: AdminCaller,
        id: Path<i64>,
        body: Json<UpdateUserRequest>,
    ) -> ApiResult<Json<User>, AdminWriteErrors> {
        let body = body.0;
        let storage_quota = match body.storage_quota {
            MaybeUndefined::Undefined => None,
            MaybeUndefined::Null => Some(None),
            MaybeUndefined::Value(quota) => Some(Some(quota)),
        };
        let changes = AdminChanges {
            role: body.role.map(|r| r.as_str().to_owned()),
            storage_quota,
            is_active: body.is_active,
            display_name: body.display_name.map(String::from),
            email: body.email.map(String::from),
        };
        Ok(Json(User::from(
            &self.accounts.admin_update(UserId(id.0), changes).await?,
        )))
    }

    /// Re-enable an account.
    #[oai(
        path = "/users/:id/activate",
        method = "post",
        operation_id = "activate_user"
    )]
    async fn activate(
        &self,
        _admin: AdminCaller,
        id: Path<i64>,
    ) -> ApiResult<Json<User>, AdminWriteErrors> {
        Ok(Json(User::from(
            &self.accounts.set_active(UserId(id.0), true).await?,
        )))
    }

    /// Disable an account: its sessions end and its tokens are refused at once.
    #[oai(
        path = "/users/:id/deactivate",
        method = "post",
        operation_id = "deactivate_user"
    )]
    async fn deactivate(
        &self,
        _admin: AdminCaller,
        id: Path<i64>,
    ) -> ApiResult<Json<User>, AdminWriteErrors> {
        Ok(Json(User::from(
            &self.accounts.set_active(UserId(id.0), false).await?,
        )))
    }

    /// Delete an account and everything it owns.
    #[oai(path = "/users/:id", method = "delete", operation_id = "delete_user")]
    async fn delete_user(
        &self,
        _admin: AdminCaller,
        id: Path<i64>,
    ) -> ApiResult<NoContent, AdminWriteErrors> {
        self.accounts.delete(UserId(id.0)).await?;
        Ok(NoContent::Done)
    }
}
