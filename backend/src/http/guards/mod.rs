//! Who is asking, and may they: the extractors that turn a request into a principal acting in
//! a tenant with a permission, and the middleware that answers 401 before anything else.

pub mod access;
pub mod authenticate_first;
pub mod cookies;
pub mod principal;
