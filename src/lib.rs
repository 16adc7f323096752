//! Hoard: a self-hosted drive in one binary.
#![forbid(unsafe_code)]

/// HTTP handlers (poem-openapi), one file per resource.
pub mod api;
/// Application state, route tree and server.
pub mod app;
/// The command line: `serve`, `user`, `openapi`.
pub mod cli;
/// Layered configuration.
pub mod config;
/// SQLite: pool, migrations and repository functions.
pub mod db;
/// The SPEC's error shape and the one mapping onto it.
pub mod error;
/// `GET /health`.
pub mod health;
/// Request log, error shaping and the JSON body limit.
pub mod middleware;
/// Domain services: auth, accounts, caches, throttles.
pub mod service;
/// The data directory.
pub mod storage;
/// The embedded web UI.
pub mod web;
