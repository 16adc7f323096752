//! Hoard: a self-hosted drive in one binary.
//!
//! The layers run one way (tests/layers.rs enforces it):
//!
//! ```text
//! app, cli ──▶ api, dav ──▶ http            transport: knows poem/hyper, never routes or rules
//!               └────▶ service ──▶ db, store     rules; SQL only in db/, bytes only in store/
//! leaves any layer may use: error, config, secret, ids, blob
//! ```
#![forbid(unsafe_code)]

/// HTTP handlers (poem-openapi), one file per resource, over the services.
pub mod api;
/// The composition root: state, route tree and serving.
pub mod app;
/// Where a blob's bytes are (a file, or ranged reads from an object store).
pub mod blob;
/// The command line: `serve`, `user`, `check`, `backup`, `openapi`.
pub mod cli;
/// Layered configuration.
pub mod config;
/// The WebDAV door (SPEC §11), over the same services as the API.
pub mod dav;
/// SQLite: pool, migrations and repository functions.
pub mod db;
/// The SPEC's error shape.
pub mod error;
/// Property checks of the input parsers, for `fuzz/` and `tests/fuzz.rs` only.
#[cfg(feature = "fuzzing")]
#[doc(hidden)]
pub mod fuzzing;
/// Transport: accept loop, middleware, bodies, byte serving, multipart, zip, the SPA.
pub mod http;
/// Identifiers that cross layers as parsed types (blob, user and entry ids).
pub mod ids;
/// Random secrets and hex.
pub mod secret;
/// Domain services: the rules.
pub mod service;
/// The content-addressed blob store, the data directory and thumbnails.
pub mod store;
