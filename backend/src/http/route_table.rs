//! The API's path templates and the methods each takes, built once at start from the OpenAPI
//! document and given to requests as app data. The 405 answers and the authenticate-first
//! middleware read it from there rather than importing the document, which imports every
//! route, which imports the guards.

use actix_web::HttpRequest;
use actix_web::web::Data;

pub struct RouteTable(Vec<(Vec<String>, Vec<&'static str>)>);

impl RouteTable {
    pub fn from_document(document: &utoipa::openapi::OpenApi) -> Self {
        Self(
            document
                .paths
                .paths
                .iter()
                .map(|(template, item)| {
                    let methods = [
                        ("GET", item.get.is_some()),
                        ("PUT", item.put.is_some()),
                        ("POST", item.post.is_some()),
                        ("DELETE", item.delete.is_some()),
                        ("PATCH", item.patch.is_some()),
                    ]
                    .into_iter()
                    .filter_map(|(method, present)| present.then_some(method))
                    .collect();
                    (template.split('/').map(str::to_owned).collect(), methods)
                })
                .collect(),
        )
    }

    /// The methods the API takes at `path` (a concrete path, matched against the templates),
    /// for the `Allow` header of a 405. Empty when no operation has that path.
    pub fn methods_of(&self, path: &str) -> Vec<&'static str> {
        let segments: Vec<&str> = path.split('/').collect();
        let mut methods: Vec<&'static str> = self
            .0
            .iter()
            .filter(|(template, _)| {
                template.len() == segments.len()
                    && template.iter().zip(&segments).all(|(expected, actual)| {
                        (expected.starts_with('{') && !actual.is_empty()) || expected == actual
                    })
            })
            .flat_map(|(_, methods)| methods.iter().copied())
            .collect();
        methods.sort_unstable();
        methods.dedup();
        methods
    }

    /// The methods `request`'s path takes, from the table the application was built with.
    pub fn methods_for(request: &HttpRequest) -> Vec<&'static str> {
        request
            .app_data::<Data<RouteTable>>()
            .map(|table| table.methods_of(request.path()))
            .unwrap_or_default()
    }
}
