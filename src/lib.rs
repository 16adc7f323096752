//! Hoard: a self-hosted drive in one binary.
#![forbid(unsafe_code)]

/// HTTP handlers (poem-openapi), one file per resource.
pub mod api;
/// Application state, route tree and server.
pub mod app;
/// Response bodies filled by a blocking producer thread.
pub mod body;
/// RFC 9110 byte serving: ranges, conditionals, streaming.
pub mod bytes;
/// The command line: `serve`, `user`, `openapi`.
pub mod cli;
/// Layered configuration.
pub mod config;
/// SQLite: pool, migrations and repository functions.
pub mod db;
/// The SPEC's error shape and the one mapping onto it.
pub mod error;
/// Property checks of the input parsers, for `fuzz/` and `tests/fuzz.rs` only.
#[doc(hidden)]
pub mod fuzzing;
/// `GET /health`.
pub mod health;
/// Log lines to stderr, batched (warnings and errors at once).
pub mod logsink;
/// File types, preview rules, safe headers and cached thumbnails.
pub mod media;
/// Request log, error shaping and the JSON body limit.
pub mod middleware;
/// `multipart/form-data` read as it streams, content as slices of the body's frames.
pub mod multipart;
/// The accept loop: hyper over plain TCP streams, serving the poem endpoint.
pub mod server;
/// Domain services: auth, accounts, caches, throttles.
pub mod service;
/// The data directory.
pub mod storage;
/// The content-addressed blob store.
pub mod store;
/// The embedded web UI.
pub mod web;
/// Folders as streamed zip archives.
pub mod zipstream;
