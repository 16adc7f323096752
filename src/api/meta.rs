//! `GET /api/v1`: what this API is and where its documentation lives.

use poem_openapi::payload::Json;
use poem_openapi::{Object, OpenApi};

use super::respond::failure::{ApiResult, PublicErrors};
use super::ApiTags;

#[derive(Debug, Object)]
pub struct ApiIndex {
    /// Always `hoard`.
    pub name: String,
    /// Server version.
    pub version: String,
    /// Swagger UI.
    pub docs: String,
    /// The OpenAPI 3 document.
    pub openapi: String,
}

pub struct MetaApi;

#[OpenApi(tag = "ApiTags::Meta")]
impl MetaApi {
    /// API name, version and documentation links.
    #[oai(path = "/", method = "get", operation_id = "api_index")]
    async fn index(&self) -> ApiResult<Json<ApiIndex>, PublicErrors> {
        Ok(Json(ApiIndex {
            name: "hoard".into(),
            version: env!("CARGO_PKG_VERSION").into(),
            docs: "/docs".into(),
            openapi: "/openapi.json".into(),
        }))
    }
}
