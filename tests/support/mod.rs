//! What the tests that run the real `hoard` binary share: the server process and curl
//! (`server`), seeded test files (`random`), the Node.js tooling under `tests/ui`
//! (`node`), pip-installed Python tools (`python`), an S3 object store (`seaweed`) and the
//! shell examples of the docs (`docs`). Each test crate pulls this in with `mod support;`
//! and uses a different part.

#![allow(dead_code)]

pub mod docs;
pub mod node;
pub mod python;
pub mod random;
pub mod seaweed;
pub mod server;
