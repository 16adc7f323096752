//! What handlers answer with: each operation's documented error set over the one error
//! shape, JSON bodies serialized straight from serde, and the shared response models.

pub mod failure;
pub mod json_bytes;
pub mod login;
pub mod models;
