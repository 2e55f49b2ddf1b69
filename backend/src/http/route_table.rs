//! The API's path templates and the methods each takes, built once at start from the OpenAPI
//! document and given to requests as app data. The 405 answers and the authenticate-first
//! middleware read it from there rather than importing the document, which imports every
//! route, which imports the guards.
//!
//! It also knows which operations are public (their security requirement is absent or the
//! empty one, as `security(())`): the authenticate-first middleware lets those through, so the
//! document is the one list of public routes.

use actix_web::HttpRequest;
use actix_web::web::Data;

/// Each path template, split at `/`, with its operations.
pub struct RouteTable(Vec<(Vec<String>, Vec<Operation>)>);

/// An operation's method, and whether it is public.
type Operation = (&'static str, bool);

impl RouteTable {
    pub fn from_document(document: &utoipa::openapi::OpenApi) -> Self {
        Self(
            document
                .paths
                .paths
                .iter()
                .map(|(template, item)| {
                    let methods = [
                        ("GET", &item.get),
                        ("PUT", &item.put),
                        ("POST", &item.post),
                        ("DELETE", &item.delete),
                        ("PATCH", &item.patch),
                    ]
                    .into_iter()
                    .filter_map(|(method, operation)| {
                        operation
                            .as_ref()
                            .map(|operation| (method, is_public(operation)))
                    })
                    .collect();
                    (template.split('/').map(str::to_owned).collect(), methods)
                })
                .collect(),
        )
    }

    /// The operations whose template matches the concrete `path`.
    fn operations_at<'a>(&'a self, path: &'a str) -> impl Iterator<Item = Operation> + 'a {
        let segments: Vec<&str> = path.split('/').collect();
        self.0
            .iter()
            .filter(move |(template, _)| {
                template.len() == segments.len()
                    && template.iter().zip(&segments).all(|(expected, actual)| {
                        (expected.starts_with('{') && !actual.is_empty()) || expected == actual
                    })
            })
            .flat_map(|(_, methods)| methods.iter().copied())
    }

    /// Whether the document makes `method` at `path` public: no credential needed.
    pub fn is_public(&self, method: &str, path: &str) -> bool {
        self.operations_at(path)
            .any(|(documented, public)| public && documented == method)
    }

    /// The methods the API takes at `path` (a concrete path, matched against the templates),
    /// for the `Allow` header of a 405. Empty when no operation has that path.
    pub fn methods_of(&self, path: &str) -> Vec<&'static str> {
        let mut methods: Vec<&'static str> =
            self.operations_at(path).map(|(method, _)| method).collect();
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

    /// Whether `request` is to a public operation of the table the application was built with.
    pub fn is_public_request(request: &HttpRequest) -> bool {
        request
            .app_data::<Data<RouteTable>>()
            .is_some_and(|table| table.is_public(request.method().as_str(), request.path()))
    }
}

/// No security requirement, or only the empty one (`security(())`): anyone may call it.
fn is_public(operation: &utoipa::openapi::path::Operation) -> bool {
    operation.security.as_ref().is_none_or(|requirements| {
        requirements.iter().all(|requirement| {
            serde_json::to_value(requirement)
                .ok()
                .and_then(|value| value.as_object().map(serde_json::Map::is_empty))
                .unwrap_or(false)
        })
    })
}
