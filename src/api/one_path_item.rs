//! One path item per path in the OpenAPI document. poem-openapi 5.1 writes each
//! `#[OpenApi]` impl's paths on their own, so a path that two impls share (`/files`:
//! list in `files`, upload in `file_uploads`) became two `paths` keys of which JSON
//! readers keep the last: `list_files` and `get_file_by_path` vanished from generated
//! clients and from schemathesis. Routing is unchanged; only the description merges.

use std::collections::HashMap;

use poem::endpoint::BoxEndpoint;
use poem::http::Method;
use poem_openapi::registry::{MetaApi, MetaPath, Registry};
use poem_openapi::OpenApi;

/// `T`'s operations, described with one path item per path (first-seen order).
pub struct OnePathItem<T>(pub T);

impl<T: OpenApi> OpenApi for OnePathItem<T> {
    fn meta() -> Vec<MetaApi> {
        let mut paths: Vec<MetaPath> = Vec::new();
        for path in T::meta().into_iter().flat_map(|api| api.paths) {
            match paths.iter_mut().find(|seen| seen.path == path.path) {
                Some(seen) => seen.operations.extend(path.operations),
                None => paths.push(path),
            }
        }
        vec![MetaApi { paths }]
    }

    fn register(registry: &mut Registry) {
        T::register(registry);
    }

    fn add_routes(self, table: &mut HashMap<String, HashMap<Method, BoxEndpoint<'static>>>) {
        self.0.add_routes(table);
    }
}
