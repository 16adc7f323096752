//! One integration-test binary. Most tests run the real app in-process against a real
//! SQLite file in a temp dir; `e2e`, `durability` and `cli` spawn the real `hoard` binary
//! (`e2e` and `durability` through tests/support, shared with the other binaries' tests).

// Tests panic on purpose when something is off.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod helpers;
#[path = "../support/mod.rs"]
mod support;

mod admin;
mod auth;
mod cache_registry;
mod cli;
mod content;
mod content_links;
mod content_preview;
mod dav_credentials;
mod drive_helpers;
mod durability;
mod e2e;
mod errors;
mod fast_lane;
mod files;
mod files_put;
mod files_search;
mod files_tree;
mod files_upload;
mod hostile_accounts;
mod hostile_admin;
mod hostile_helpers;
mod hostile_http;
mod hostile_idor;
mod hostile_jwt;
mod hostile_limits;
mod hostile_names;
mod hostile_preview;
mod hostile_ranges;
mod hostile_shares;
mod hostile_tokens;
mod isolation;
mod jwt;
mod listing_cache;
mod logout;
mod mfa;
mod mfa_helpers;
mod mfa_login;
mod modified;
mod openapi;
mod profile;
mod quota;
mod record_cache;
mod sessions;
mod share_helpers;
mod shares;
mod shares_access;
mod shares_public;
mod trash;
mod tus;
mod versions;
mod versions_crash;
mod versions_helpers;
mod versions_retention;
mod web_session;
mod wire_helpers;
mod wire_lane;
