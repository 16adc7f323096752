//! What handlers take from a request: the caller (bearer, cookie, signed link), request
//! bodies documented but streamed, multipart forms, pagination and strict JSON strings.

pub mod cookies;
pub mod multipart;
pub mod pagination;
pub mod payloads;
pub mod security;
pub mod text;
