//! Transport: everything that knows HTTP (poem, hyper) but no route and no product rule.
//! The accept loop, the middleware (request log, error shaping, JSON limit, load shedding),
//! the log sink, response bodies, gzip-compressed fixed assets, the RFC 9110 byte-serving responder, the multipart parser,
//! streamed zip archives, the headers that keep user bytes inert, the embedded SPA, and the
//! wire lane that answers the byte routes on the raw socket with `sendfile`.
//! Routes and rules come from above (`api`), as values; nothing here reaches up.

pub mod body;
pub mod byte_serving;
pub mod client;
pub mod completion;
pub mod gzipped;
pub mod logsink;
pub mod middleware;
pub mod multipart;
pub mod request_body;
pub mod safe_headers;
pub mod server;
pub mod spa;
pub mod wire;
pub mod zipstream;
