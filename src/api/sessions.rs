//! `/auth/sessions` and `/auth/tokens`: the caller's sessions and personal API tokens.

use std::sync::Arc;

use chrono::{DateTime, Utc};
use poem_openapi::param::{Path, Query};
use poem_openapi::payload::Json;
use poem_openapi::{ApiResponse, Object, OpenApi};

use super::extract::pagination::Page;
use super::extract::security::Caller;
use super::extract::text::Text;
use super::respond::failure::{ApiResult, UserErrors, UserWriteErrors};
use super::respond::models::{list_type, time};
use super::{ApiTags, NoContent};
use crate::service::accounts::Accounts;
use crate::service::api_tokens::ApiTokenRecord;
use crate::service::auth::Auth;

/// A live session (one login and the tokens rotated from it).
#[derive(Debug, Clone, Object)]
pub struct Session {
    pub id: i64,
    pub created_at: DateTime<Utc>,
    /// Last login or refresh.
    pub last_used_at: DateTime<Utc>,
    pub user_agent: String,
    /// Client address at login.
    pub ip: String,
    /// True for the session of the token making this request.
    pub current: bool,
}

list_type!(
    /// The caller's live sessions.
    SessionList, Session
);

/// A personal API token (without its secret).
#[derive(Debug, Clone, Object)]
pub struct ApiToken {
    pub id: i64,
    pub name: String,
    pub created_at: DateTime<Utc>,
    /// Null: never expires.
    #[oai(nullable)]
    pub expires_at: Option<DateTime<Utc>>,
    #[oai(nullable)]
    pub last_used_at: Option<DateTime<Utc>>,
}

impl From<&ApiTokenRecord> for ApiToken {
    fn from(t: &ApiTokenRecord) -> Self {
        Self {
            id: t.id,
            name: t.name.clone(),
            created_at: time(t.created_at),
            expires_at: t.expires_at.map(time),
            last_used_at: t.last_used_at.map(time),
        }
    }
}

list_type!(
    /// The caller's live API tokens.
    ApiTokenList, ApiToken
);

/// A new API token, with its secret shown this once.
#[derive(Debug, Clone, Object)]
pub struct NewApiToken {
    pub id: i64,
    pub name: String,
    /// The secret (`hoard_pat_…`); only its hash is stored, so keep it now.
    pub token: String,
    pub created_at: DateTime<Utc>,
    #[oai(nullable)]
    pub expires_at: Option<DateTime<Utc>>,
    #[oai(nullable)]
    pub last_used_at: Option<DateTime<Utc>>,
}

#[derive(Debug, Object)]
#[oai(deny_unknown_fields)]
pub struct CreateTokenRequest {
    /// A label, 1–64 characters.
    pub name: Text,
    /// Lifetime in days (1–3650); absent: no expiry.
    pub expires_in_days: Option<i64>,
}

#[derive(ApiResponse)]
pub enum TokenCreated {
    #[oai(status = 201)]
    Created(Json<NewApiToken>),
}

pub struct SessionsApi {
    pub auth: Arc<Auth>,
    pub accounts: Arc<Accounts>,
}

#[OpenApi(tag = "ApiTags::Sessions")]
impl SessionsApi {
    /// List my live sessions.
    #[oai(
        path = "/auth/sessions",
        method = "get",
        operation_id = "list_sessions"
    )]
    async fn list_sessions(
        &self,
        caller: Caller,
        limit: Query<Option<i64>>,
        offset: Query<Option<i64>>,
    ) -> ApiResult<Json<SessionList>, UserErrors> {
        let page = Page::parse(limit.0, offset.0)?;
        let current = caller.0.session_id();
        let all = self.auth.sessions(&caller.0).await?;
        let total = all.len() as i64;
        let items = all
            .iter()
            .skip(page.offset as usize)
            .take(page.limit as usize)
            .map(|s| Session {
                id: s.id,
                created_at: time(s.created_at),
                last_used_at: time(s.last_used_at),
                user_agent: s.user_agent.clone(),
                ip: s.ip.clone(),
                current: Some(s.id) == current,
            })
            .collect();
        Ok(Json(SessionList {
            items,
            total,
            limit: page.limit,
            offset: page.offset,
        }))
    }

    /// Revoke one of my sessions; its tokens stop working at once.
    #[oai(
        path = "/auth/sessions/:id",
        method = "delete",
        operation_id = "revoke_session"
    )]
    async fn revoke_session(
        &self,
        caller: Caller,
        id: Path<i64>,
    ) -> ApiResult<NoContent, UserErrors> {
        self.auth.revoke_session(&caller.0, id.0).await?;
        Ok(NoContent::Done)
    }

    /// List my personal API tokens (secrets are never shown again).
    #[oai(
        path = "/auth/tokens",
        method = "get",
        operation_id = "list_api_tokens"
    )]
    async fn list_tokens(
        &self,
        caller: Caller,
        limit: Query<Option<i64>>,
        offset: Query<Option<i64>>,
    ) -> ApiResult<Json<ApiTokenList>, UserErrors> {
        let page = Page::parse(limit.0, offset.0)?;
        let (tokens, total) = self
            .accounts
            .api_tokens(&caller.0, page.limit, page.offset)
            .await?;
        let items = tokens.iter().map(ApiToken::from).collect();
        Ok(Json(ApiTokenList {
            items,
            total,
            limit: page.limit,
            offset: page.offset,
        }))
    }

    /// Create a personal API token for scripts. It is a bearer credential like an access
    /// token, but survives logout and password changes until revoked or expired.
    #[oai(
        path = "/auth/tokens",
        method = "post",
        operation_id = "create_api_token"
    )]
    async fn create_token(
        &self,
        caller: Caller,
        body: Json<CreateTokenRequest>,
    ) -> ApiResult<TokenCreated, UserWriteErrors> {
        let (record, token) = self
            .accounts
            .create_api_token(&caller.0, &body.name, body.expires_in_days)
            .await?;
        let shown = ApiToken::from(&record);
        Ok(TokenCreated::Created(Json(NewApiToken {
            id: shown.id,
            name: shown.name,
            token,
            created_at: shown.created_at,
            expires_at: shown.expires_at,
            last_used_at: shown.last_used_at,
        })))
    }

    /// Revoke one of my API tokens.
    #[oai(
        path = "/auth/tokens/:id",
        method = "delete",
        operation_id = "revoke_api_token"
    )]
    async fn revoke_token(
        &self,
        caller: Caller,
        id: Path<i64>,
    ) -> ApiResult<NoContent, UserErrors> {
        self.accounts.revoke_api_token(&caller.0, id.0).await?;
        Ok(NoContent::Done)
    }
}
