//! `GET /api/v1`: what this API is and where its documentation lives.

use bytes::Bytes;
use poem_openapi::payload::Json;
use poem_openapi::{Object, OpenApi, OpenApiService};

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

/// The published documents, built once at start: the OpenAPI JSON and the Swagger UI and
/// ReDoc pages that embed it (poem-openapi's pages, given the refined document). Each is
/// served as shared bytes: a request copies nothing.
pub struct Documents {
    pub json: Bytes,
    pub swagger: Bytes,
    pub redoc: Bytes,
}

impl Documents {
    /// From the service that also serves the API.
    pub fn new(service: &OpenApiService<super::Apis, ()>) -> Self {
        let derived = service.spec();
        let json = super::published(&derived);
        Self {
            swagger: service
                .swagger_ui_html()
                .replacen(&derived, &json, 1)
                .into(),
            redoc: service.redoc_html().replacen(&derived, &json, 1).into(),
            json: json.into(),
        }
    }

    /// `/openapi.json`, `/docs` and `/redoc`, each nested so a trailing `/` works too.
    pub fn mount(self, route: poem::Route) -> poem::Route {
        const HTML: &str = "text/html; charset=utf-8";
        route
            .at(
                "/openapi.json",
                serve(self.json, "application/json; charset=utf-8"),
            )
            .nest("/docs", serve(self.swagger, HTML))
            .nest("/redoc", serve(self.redoc, HTML))
    }
}

/// GET (and HEAD) of fixed bytes.
fn serve(bytes: Bytes, content_type: &'static str) -> impl poem::Endpoint {
    let page = move |_| {
        poem::Response::builder()
            .content_type(content_type)
            .body(bytes.clone())
    };
    poem::get(poem::endpoint::make_sync(page))
}
