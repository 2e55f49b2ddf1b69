//! The answers every operation of a kind can give, added to the document in one place rather
//! than repeated beside each handler: 400 for what cannot be parsed, 401/403 where a credential
//! is needed, 404 where the path names something, 413/415 for JSON bodies, 500 everywhere, 503
//! wherever the database or the object store is needed. An operation that documents one of
//! these itself keeps its own, more precise, description.
//!
//! Every other error answer an operation documents (status 400 and above, with a description
//! of its own and no body) is a problem too: its `application/problem+json` body is added
//! here, so that no handler repeats it.
//!
//! It also offers integrators' API tokens on every operation a token scope can reach.

use callvault_shared::api::{Permission, Problem, TokenScope};
use utoipa::Modify;
use utoipa::openapi::path::Operation;
use utoipa::openapi::security::SecurityRequirement;
use utoipa::openapi::{ContentBuilder, OpenApi, Ref, RefOr, ResponseBuilder};

pub struct CommonAnswers;

impl Modify for CommonAnswers {
    fn modify(&self, openapi: &mut OpenApi) {
        for (path, item) in openapi.paths.paths.iter_mut() {
            for operation in super::operations_mut(item) {
                complete(path, operation);
            }
        }
    }
}

fn complete(path: &str, operation: &mut Operation) {
    let permission = required_permission(operation);
    let signed_in = operation
        .security
        .as_ref()
        .is_some_and(|requirements| !requirements.iter().any(is_anonymous));
    if let Some(permission) = permission.filter(|p| TokenScope::any_allows(*p))
        && let Some(requirements) = operation.security.as_mut()
    {
        requirements.push(SecurityRequirement::new("api_token", [permission.as_str()]));
    }
    let has_input = operation
        .parameters
        .as_ref()
        .is_some_and(|parameters| !parameters.is_empty())
        || operation.request_body.is_some();
    let json_body = operation
        .request_body
        .as_ref()
        .is_some_and(|body| body.content.contains_key("application/json"));

    if has_input {
        add(
            operation,
            400,
            "The path, query or body is malformed or invalid",
        );
    }
    if signed_in {
        add(
            operation,
            401,
            "No credential, or one that is invalid, expired or revoked",
        );
        add(
            operation,
            403,
            "Not allowed: the role or the API token's scopes do not allow it, or a cookie came without `X-CSRF-Token`",
        );
    }
    if path.contains('{') {
        add(
            operation,
            404,
            "No such tenant (or one the caller may not see), or nothing of that id in it",
        );
    }
    if json_body {
        add(operation, 413, "The JSON body is larger than 64 KiB");
        add(
            operation,
            415,
            "The body is not sent as `Content-Type: application/json`",
        );
    }
    problem_bodies(operation);
    add(
        operation,
        500,
        "Something failed inside the server; the details are in its log, not here",
    );
    if path != "/healthz" {
        add(
            operation,
            503,
            "The database or the object store cannot be reached; retry after `Retry-After` seconds",
        );
    }
}

/// The permission an operation's guard checks, named as the scope of its bearer requirement.
fn required_permission(operation: &Operation) -> Option<Permission> {
    operation.security.iter().flatten().find_map(|requirement| {
        let value = serde_json::to_value(requirement).ok()?;
        let scope = value
            .get("bearer")?
            .as_array()?
            .first()?
            .as_str()?
            .to_owned();
        Permission::from_name(&scope)
    })
}

fn is_anonymous(requirement: &SecurityRequirement) -> bool {
    serde_json::to_value(requirement)
        .ok()
        .and_then(|value| value.as_object().map(serde_json::Map::is_empty))
        .unwrap_or(false)
}

/// The problem body of each error answer documented without one.
fn problem_bodies(operation: &mut Operation) {
    for (status, response) in operation.responses.responses.iter_mut() {
        let error = status.parse::<u16>().is_ok_and(|status| status >= 400);
        if let RefOr::T(response) = response
            && error
            && response.content.is_empty()
        {
            response
                .content
                .insert(Problem::MEDIA_TYPE.to_owned(), problem_content());
        }
    }
}

fn problem_content() -> utoipa::openapi::Content {
    ContentBuilder::new()
        .schema(Some(Ref::from_schema_name("Problem")))
        .build()
}

fn add(operation: &mut Operation, status: u16, description: &str) {
    operation
        .responses
        .responses
        .entry(status.to_string())
        .or_insert_with(|| {
            RefOr::T(
                ResponseBuilder::new()
                    .description(description)
                    .content(Problem::MEDIA_TYPE, problem_content())
                    .build(),
            )
        });
}
