//! The API's path templates and the methods each takes, built once at start from the OpenAPI
//! document and given to requests as app data. The 405 answers and the authenticate-first
//! middleware read it from there rather than importing the document, which imports every
//! route, which imports the guards.
//!
//! It also knows which operations are public (their security requirement is absent or the
//! empty one, as `security(())`): the authenticate-first middleware lets those through, so the
//! document is the one list of public routes. And it knows the permission each operation's
//! security requirement names, which the middleware decides before any handler runs.
//!
//! A concrete path is matched to the most specific template that fits it: segment by segment
//! from the left, a literal beats a parameter, so `…/recordings/export` is the export route,
//! never the recording whose id is "export".

use actix_web::dev::ServiceRequest;
use actix_web::web::Data;
use actix_web::{HttpMessage, HttpRequest};
use callvault_shared::api::Permission;

/// Where in the table a request's path matched (none: no template), kept in its extensions.
#[derive(Clone, Copy)]
struct MatchedTemplate(Option<usize>);

/// Each path template, split at `/`, with its operations.
pub struct RouteTable(Vec<Template>);

struct Template {
    /// The template as the document writes it, for logs.
    path: String,
    segments: Vec<String>,
    /// Which segments are literals: a template with a literal where another has a parameter
    /// is the more specific.
    literals: Vec<bool>,
    operations: Vec<Operation>,
}

/// One operation of the document: its method, whether anyone may call it, and the permission
/// its security requirement names (none for a public or a "signed in" operation).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Operation {
    pub method: &'static str,
    pub public: bool,
    pub permission: Option<Permission>,
}

/// The template a concrete path matched, and the operation of the request's method there.
#[derive(Debug, Clone, Copy)]
pub struct Matched<'a> {
    pub template: &'a [String],
    pub operation: Operation,
}

impl Matched<'_> {
    /// The segment of `path` where the template has `{name}`, percent-decoded.
    pub fn param(&self, path: &str, name: &str) -> Option<String> {
        let placeholder = format!("{{{name}}}");
        let at = self.template.iter().position(|s| *s == placeholder)?;
        path.split('/').nth(at).map(percent_decoded)
    }

    /// The template, joined again: `/api/v1/tenants/{tenant}/…`.
    pub fn path(&self) -> String {
        self.template.join("/")
    }
}

impl RouteTable {
    pub fn from_document(document: &utoipa::openapi::OpenApi) -> Self {
        Self(
            document
                .paths
                .paths
                .iter()
                .map(|(template, item)| {
                    let operations = [
                        ("GET", &item.get),
                        ("PUT", &item.put),
                        ("POST", &item.post),
                        ("DELETE", &item.delete),
                        ("PATCH", &item.patch),
                    ]
                    .into_iter()
                    .filter_map(|(method, operation)| {
                        operation.as_ref().map(|operation| Operation {
                            method,
                            public: is_public(operation),
                            permission: permission_of(operation),
                        })
                    })
                    .collect();
                    let segments: Vec<String> = template.split('/').map(str::to_owned).collect();
                    Template {
                        path: template.clone(),
                        literals: segments.iter().map(|s| !is_parameter(s)).collect(),
                        segments,
                        operations,
                    }
                })
                .collect(),
        )
    }

    /// The most specific template that matches the concrete `path`: of those that fit, the
    /// one with a literal where the others have a parameter, leftmost first. It allocates
    /// nothing: a request that is not kept matched (see [`Self::template_for_request`]) walks
    /// the table with it.
    fn template_for(&self, path: &str) -> Option<&Template> {
        self.index_for(path).map(|index| &self.0[index])
    }

    /// [`Self::template_for`], as its place in the table.
    fn index_for(&self, path: &str) -> Option<usize> {
        let count = path.split('/').count();
        self.0
            .iter()
            .enumerate()
            .filter(|(_, template)| {
                template.segments.len() == count
                    && template
                        .segments
                        .iter()
                        .zip(path.split('/'))
                        .all(|(expected, actual)| {
                            (is_parameter(expected) && !actual.is_empty()) || expected == actual
                        })
            })
            .max_by(|(_, a), (_, b)| a.literals.cmp(&b.literals))
            .map(|(index, _)| index)
    }

    /// [`Self::template_for`] `request`'s path, matched once and kept with the request: its
    /// span, the authentication guard and the access log each ask, and a match walks the
    /// table (3 % of a seek's time when each did it again).
    fn template_for_request(&self, request: &ServiceRequest) -> Option<&Template> {
        let known = request.extensions().get::<MatchedTemplate>().copied();
        let index = match known {
            Some(MatchedTemplate(index)) => index,
            None => {
                let index = self.index_for(request.path());
                request.extensions_mut().insert(MatchedTemplate(index));
                index
            }
        };
        index.map(|index| &self.0[index])
    }

    /// The operations the document lists at `request`'s path ([`Self::route`]).
    pub fn route_of_request(&self, request: &ServiceRequest) -> Option<Route<'_>> {
        self.template_for_request(request).map(Route)
    }

    /// The operations the document lists at `path`: the most specific template that fits it.
    pub fn route(&self, path: &str) -> Option<Route<'_>> {
        self.template_for(path).map(Route)
    }

    /// The operation `method` names at `path`, with the template it was found under.
    pub fn operation(&self, method: &str, path: &str) -> Option<Matched<'_>> {
        self.route(path)?.operation(method)
    }

    /// Whether the document makes `method` at `path` public: no credential needed.
    pub fn is_public(&self, method: &str, path: &str) -> bool {
        self.operation(method, path)
            .is_some_and(|matched| matched.operation.public)
    }

    /// The methods the API takes at `path` (a concrete path, matched against the templates),
    /// for the `Allow` header of a 405: exactly those the document lists for the most specific
    /// template. Empty when no operation has that path.
    pub fn methods_of(&self, path: &str) -> Vec<&'static str> {
        self.route(path)
            .map(|route| route.methods())
            .unwrap_or_default()
    }

    /// The methods `request`'s path takes, from the table the application was built with.
    pub fn methods_for(request: &HttpRequest) -> Vec<&'static str> {
        request
            .app_data::<Data<RouteTable>>()
            .map(|table| table.methods_of(request.path()))
            .unwrap_or_default()
    }

    /// The template to log and count `request` under: the documented one, found without the
    /// router's patterns; the router is asked only for what the document does not describe
    /// (the web app, the probes). Never the concrete path, which holds ids.
    pub fn template_of_request(request: &ServiceRequest) -> String {
        request
            .app_data::<Data<RouteTable>>()
            .and_then(|table| table.template_for_request(request))
            .map(|template| template.path.clone())
            .or_else(|| request.match_pattern())
            .unwrap_or_else(|| "default".to_owned())
    }
}

/// A documented template, found for a concrete path.
#[derive(Clone, Copy)]
pub struct Route<'a>(&'a Template);

impl<'a> Route<'a> {
    /// The operation `method` names here.
    pub fn operation(self, method: &str) -> Option<Matched<'a>> {
        self.0
            .operations
            .iter()
            .find(|operation| operation.method == method)
            .map(|operation| Matched {
                template: &self.0.segments,
                operation: *operation,
            })
    }

    /// The methods the document lists here, sorted, for an `Allow` header.
    pub fn methods(self) -> Vec<&'static str> {
        let mut methods: Vec<&'static str> = self.0.operations.iter().map(|op| op.method).collect();
        methods.sort_unstable();
        methods.dedup();
        methods
    }
}

fn is_parameter(segment: &str) -> bool {
    segment.starts_with('{')
}

/// The requirements of an operation, each as a JSON object: scheme → scopes.
fn requirements(operation: &utoipa::openapi::path::Operation) -> Option<Vec<serde_json::Value>> {
    operation.security.as_ref().map(|requirements| {
        requirements
            .iter()
            .map(|requirement| serde_json::to_value(requirement).unwrap_or_default())
            .collect()
    })
}

/// No security requirement, or only the empty one (`security(())`): anyone may call it.
fn is_public(operation: &utoipa::openapi::path::Operation) -> bool {
    requirements(operation).is_none_or(|requirements| {
        requirements.iter().all(|requirement| {
            requirement
                .as_object()
                .map(serde_json::Map::is_empty)
                .unwrap_or(false)
        })
    })
}

/// The permission the operation's bearer requirement names as its scope, as
/// `permissions_doc` reads it.
fn permission_of(operation: &utoipa::openapi::path::Operation) -> Option<Permission> {
    requirements(operation)?
        .iter()
        .filter_map(|requirement| requirement["bearer"].as_array())
        .flatten()
        .filter_map(|scope| scope.as_str().and_then(Permission::from_name))
        .next()
}

/// `%XX` escapes decoded, as the router decodes a path parameter; the segment as it is if
/// that would not be UTF-8.
fn percent_decoded(segment: &str) -> String {
    if !segment.contains('%') {
        return segment.to_owned();
    }
    let bytes = segment.as_bytes();
    let mut decoded = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let escaped = (bytes[i] == b'%')
            .then(|| bytes.get(i + 1..i + 3))
            .flatten()
            .and_then(|hex| std::str::from_utf8(hex).ok())
            .and_then(|hex| u8::from_str_radix(hex, 16).ok());
        match escaped {
            Some(byte) => {
                decoded.push(byte);
                i += 3;
            }
            None => {
                decoded.push(bytes[i]);
                i += 1;
            }
        }
    }
    String::from_utf8(decoded).unwrap_or_else(|_| segment.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn table() -> RouteTable {
        RouteTable::from_document(&crate::http::openapi::document())
    }

    #[test]
    fn a_literal_segment_beats_a_parameter() {
        let table = table();
        for literal in ["export", "import"] {
            let path = format!("/api/v1/tenants/acme/recordings/{literal}");
            assert_eq!(table.methods_of(&path), ["POST"], "{path}");
        }
        assert_eq!(
            table
                .methods_of("/api/v1/tenants/acme/recordings/0190f1c2-aaaa-7bbb-8ccc-123456789abc"),
            ["DELETE", "GET", "PATCH"]
        );
        assert_eq!(table.methods_of("/api/v1/tenants/acme/keys/chain"), ["GET"]);
    }

    #[test]
    fn an_operation_knows_its_permission_and_where_its_tenant_is() {
        let table = table();
        let path = "/api/v1/tenants/ac%6De/recordings";
        let matched = table.operation("POST", path).expect("documented");
        assert_eq!(
            matched.operation.permission,
            Some(Permission::RecordingsUpload)
        );
        assert_eq!(matched.param(path, "tenant").as_deref(), Some("acme"));
        assert_eq!(matched.path(), "/api/v1/tenants/{tenant}/recordings");
        let me = table
            .operation("GET", "/api/v1/auth/me")
            .expect("documented");
        assert_eq!(me.operation.permission, None);
        assert!(!me.operation.public);
    }

    #[test]
    fn a_request_is_matched_once_and_as_its_path_is() {
        let table = table();
        let export = actix_web::test::TestRequest::post()
            .uri("/api/v1/tenants/acme/recordings/export")
            .to_srv_request();
        let route = table.route_of_request(&export).expect("documented");
        assert_eq!(route.methods(), ["POST"]);
        assert!(export.extensions().get::<MatchedTemplate>().is_some());
        // Asked again, the kept match answers, and it is the same template.
        let again = table.route_of_request(&export).expect("documented");
        assert_eq!(again.0.path, "/api/v1/tenants/{tenant}/recordings/export");
        // What is kept is what answers: a documented path kept as unmatched stays unmatched.
        let kept = actix_web::test::TestRequest::post()
            .uri("/api/v1/tenants/acme/recordings/export")
            .to_srv_request();
        kept.extensions_mut().insert(MatchedTemplate(None));
        assert!(table.route_of_request(&kept).is_none());
        let one = actix_web::test::TestRequest::get()
            .uri("/api/v1/tenants/acme/recordings/0190f1c2-aaaa-7bbb-8ccc-123456789abc")
            .app_data(Data::new(self::table()))
            .to_srv_request();
        assert_eq!(
            RouteTable::template_of_request(&one),
            "/api/v1/tenants/{tenant}/recordings/{id}"
        );
        let unknown = actix_web::test::TestRequest::get()
            .uri("/api/v1/nowhere")
            .to_srv_request();
        assert!(table.route_of_request(&unknown).is_none());
    }
}
