//! Bodies of bytes (audio, archives, stored files) as the document describes them: a binary
//! string. utoipa writes a `Vec<u8>` as an array of integers, which generators turn into
//! `list[int]` and `number[]`; a binary string becomes a file in Python and, with the
//! README's recipe, a `Blob` in TypeScript.

use utoipa::openapi::schema::{KnownFormat, ObjectBuilder, SchemaFormat, Type};
use utoipa::openapi::{RefOr, Schema};

/// Use as `body = inline(Binary)` or `content = inline(Binary)`.
pub struct Binary;

impl utoipa::PartialSchema for Binary {
    fn schema() -> RefOr<Schema> {
        ObjectBuilder::new()
            .schema_type(Type::String)
            .format(Some(SchemaFormat::KnownFormat(KnownFormat::Binary)))
            .into()
    }
}

impl utoipa::ToSchema for Binary {}
