//! sea-orm entities: one file per table.

pub mod tenant;
pub mod user;
