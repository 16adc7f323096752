//! HTTP handlers: one file per resource, each a thin layer over a service.

pub mod admin;
pub mod auth;
pub mod content;
pub mod contract;
pub mod extract;
pub mod fast_lane;
pub mod file_uploads;
pub mod files;
pub mod health;
pub mod meta;
pub mod mfa;
pub mod oidc;
pub mod one_path_item;
pub mod profile;
pub mod public_shares;
pub mod respond;
pub mod resumable;
pub mod routes;
pub mod sessions;
pub mod shares;
pub mod trash;
pub mod tus;
pub mod users;
pub mod versions;
pub mod web_session;

use poem_openapi::{ApiResponse, OpenApiService, Tags};

use crate::service::Services as AppState;

#[derive(Tags)]
pub enum ApiTags {
    /// Registration, login, token refresh and logout.
    Auth,
    /// My sessions and personal API tokens.
    Sessions,
    /// My profile and avatars.
    Profile,
    /// Account management (admin).
    Users,
    /// Instance statistics and cache (admin).
    Admin,
    /// Files and folders.
    Files,
    /// Deleted files and folders.
    Trash,
    /// Resumable uploads (tus 1.0.0).
    Uploads,
    /// Share links: mine (`/shares`, signed in) and anyone's by token (`/public/shares`, no account).
    Shares,
    /// About this API.
    Meta,
}

/// The empty success of deletes and logouts.
#[derive(ApiResponse)]
pub enum NoContent {
    /// Done.
    #[oai(status = 204)]
    Done,
}

pub type Apis = one_path_item::OnePathItem<(
    meta::MetaApi,
    auth::AuthApi,
    sessions::SessionsApi,
    profile::ProfileApi,
    users::UsersApi,
    admin::AdminApi,
    files::FilesApi,
    file_uploads::UploadsApi,
    // The tuple holds 16 at most: related APIs share a slot.
    (trash::TrashApi, versions::VersionsApi),
    content::ContentApi,
    web_session::WebSessionApi,
    mfa::MfaApi,
    oidc::OidcApi,
    resumable::ResumableApi,
    shares::SharesApi,
    public_shares::PublicSharesApi,
)>;

/// The published OpenAPI document (`/openapi.json`, `hoard openapi`, `docs/openapi.json`):
/// the derived one, refined by [`contract`].
pub fn openapi_document(state: &AppState) -> String {
    published(&service(state).spec())
}

/// The derived document `derived`, refined (or as it is, should it not parse).
fn published(derived: &str) -> String {
    contract::refine(derived).unwrap_or_else(|_| derived.to_owned())
}

/// The OpenAPI service for `/api/v1`, wired to the state's services.
pub fn service(state: &AppState) -> OpenApiService<Apis, ()> {
    let apis = one_path_item::OnePathItem((
        meta::MetaApi,
        auth::AuthApi {
            auth: state.auth.clone(),
        },
        sessions::SessionsApi {
            auth: state.auth.clone(),
            accounts: state.accounts.clone(),
        },
        profile::ProfileApi {
            accounts: state.accounts.clone(),
        },
        users::UsersApi {
            accounts: state.accounts.clone(),
        },
        admin::AdminApi {
            accounts: state.accounts.clone(),
            caches: state.caches.clone(),
            data_dir: state.data_dir.root.clone(),
        },
        files::FilesApi {
            drive: state.drive.clone(),
        },
        file_uploads::UploadsApi {
            drive: state.drive.clone(),
        },
        (
            trash::TrashApi {
                drive: state.drive.clone(),
            },
            versions::VersionsApi {
                drive: state.drive.clone(),
            },
        ),
        content::ContentApi {
            drive: state.drive.clone(),
            links: state.links.clone(),
        },
        web_session::WebSessionApi {
            auth: state.auth.clone(),
            mfa: state.mfa.clone(),
            access_ttl: state.config.auth.access_ttl_s,
            refresh_ttl: state.config.auth.refresh_ttl_s,
        },
        mfa::MfaApi {
            mfa: state.mfa.clone(),
        },
        oidc::OidcApi {
            oidc: state.oidc.clone(),
            access_ttl: state.config.auth.access_ttl_s,
            refresh_ttl: state.config.auth.refresh_ttl_s,
            public_url: state.config.auth.oidc.public_url.clone(),
        },
        resumable::ResumableApi {
            uploads: state.uploads.clone(),
        },
        shares::SharesApi {
            shares: state.shares.clone(),
        },
        public_shares::PublicSharesApi {
            shares: state.shares.clone(),
        },
    ));
    OpenApiService::new(apis, "Hoard", env!("CARGO_PKG_VERSION"))
        .description(DESCRIPTION)
        .server(routes::BASE)
}

const DESCRIPTION: &str = "\
A self-hosted drive. Every route here is relative to `/api/v1`.

Errors always have the shape `{\"code\", \"message\", \"fields\"?}` with a stable snake_case `code`.
Lists are `{items, total, limit, offset}`; `limit` defaults to 100 and is clamped to 1000.
Authenticate with `Authorization: Bearer <access JWT or hoard_pat_ API token>`.
JSON bodies are limited to 1 MiB (413 `too_large`).";
