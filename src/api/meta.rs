//! `GET /api/v1`: what this API is and where its documentation lives.

use bytes::Bytes;
use poem_openapi::payload::Json;
use poem_openapi::{Object, OpenApi, OpenApiService};

use super::respond::failure::{ApiResult, PublicErrors};
use super::ApiTags;
use crate::http::gzipped;

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

/// The published documents, built once at start: the OpenAPI JSON, and the Swagger UI and
/// ReDoc pages that read it. Their scripts (2.6 MB, the same releases poem-openapi 5.1.16
/// ships) are kept gzip-compressed in the binary, `assets/apidocs/` (0.7 MB), and loaded by
/// the pages rather than inlined into them. Each page is shared bytes: a request copies
/// nothing.
pub struct Documents {
    pub json: Bytes,
}

const SWAGGER_PAGE: &str = r#"<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Hoard API · Swagger UI</title>
<link rel="stylesheet" href="/docs/swagger-ui.css">
</head>
<body>
<div id="ui"></div>
<script src="/docs/swagger-ui-bundle.js"></script>
<script>SwaggerUIBundle({ dom_id: '#ui', url: '/openapi.json', filter: false, deepLinking: true });</script>
</body>
</html>
"#;

const REDOC_PAGE: &str = r#"<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Hoard API · ReDoc</title>
<style>body { margin: 0; padding: 0; }</style>
</head>
<body>
<div id="redoc-container"></div>
<script src="/redoc/redoc.standalone.js"></script>
<script>Redoc.init('/openapi.json', { scrollYOffset: 50 }, document.getElementById('redoc-container'));</script>
</body>
</html>
"#;

impl Documents {
    /// From the service that also serves the API.
    pub fn new(service: &OpenApiService<super::Apis, ()>) -> Self {
        Self {
            json: super::published(&service.spec()).into(),
        }
    }

    /// `/openapi.json`, `/docs` and `/redoc` (each nested so a trailing `/` works too) and
    /// the pages' scripts.
    pub fn mount(self, route: poem::Route) -> poem::Route {
        const HTML: &str = "text/html; charset=utf-8";
        const JS: &str = "text/javascript; charset=utf-8";
        let swagger = poem::Route::new()
            .at("/", serve(SWAGGER_PAGE.into(), HTML))
            .at(
                "/swagger-ui-bundle.js",
                gzipped::asset(
                    include_bytes!("../../assets/apidocs/swagger-ui-bundle.js.gz"),
                    JS,
                ),
            )
            .at(
                "/swagger-ui.css",
                gzipped::asset(
                    include_bytes!("../../assets/apidocs/swagger-ui.css.gz"),
                    "text/css; charset=utf-8",
                ),
            );
        let redoc = poem::Route::new()
            .at("/", serve(REDOC_PAGE.into(), HTML))
            .at(
                "/redoc.standalone.js",
                gzipped::asset(
                    include_bytes!("../../assets/apidocs/redoc.standalone.js.gz"),
                    JS,
                ),
            );
        route
            .at(
                "/openapi.json",
                serve(self.json, "application/json; charset=utf-8"),
            )
            .nest("/docs", swagger)
            .nest("/redoc", redoc)
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
