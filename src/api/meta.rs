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

/// The published documents, built once at start: the OpenAPI JSON and the Swagger UI and
/// ReDoc pages that embed it (poem-openapi's pages, given the refined document).
pub struct Documents {
    pub json: String,
    pub swagger: String,
    pub redoc: String,
}

impl Documents {
    pub fn new(state: &super::AppState) -> Self {
        let service = super::service(state);
        let derived = service.spec();
        let json = super::published(&derived);
        Self {
            swagger: service.swagger_ui_html().replacen(&derived, &json, 1),
            redoc: service.redoc_html().replacen(&derived, &json, 1),
            json,
        }
    }

    /// `/openapi.json`, `/docs` and `/redoc`, each nested so a trailing `/` works too.
    pub fn mount(self, route: poem::Route) -> poem::Route {
        use poem::endpoint::make_sync;
        use poem::web::Html;
        use poem::IntoResponse;
        let Self {
            json,
            swagger,
            redoc,
        } = self;
        let json = make_sync(move |_| {
            json.clone()
                .with_content_type("application/json; charset=utf-8")
                .into_response()
        });
        route
            .at("/openapi.json", poem::get(json))
            .nest(
                "/docs",
                poem::get(make_sync(move |_| Html(swagger.clone()))),
            )
            .nest("/redoc", poem::get(make_sync(move |_| Html(redoc.clone()))))
    }
}
