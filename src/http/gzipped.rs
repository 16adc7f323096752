//! Fixed assets kept gzip-compressed in the binary (the API documentation's scripts): sent
//! as they are to clients that accept gzip, which every browser does, and inflated for the
//! others. Kept compressed they take a third of the room in the binary.

use std::io::Read;

use poem::http::{header, HeaderMap, StatusCode};
use poem::{Endpoint, Response};

/// GET (and HEAD) of one gzip-compressed asset of type `content_type`.
pub fn asset(gz: &'static [u8], content_type: &'static str) -> impl Endpoint {
    poem::get(poem::endpoint::make_sync(move |req: poem::Request| {
        respond(gz, content_type, req.headers())
    }))
}

fn respond(gz: &'static [u8], content_type: &'static str, headers: &HeaderMap) -> Response {
    let builder = Response::builder()
        .content_type(content_type)
        .header(header::VARY, "Accept-Encoding")
        .header(header::CACHE_CONTROL, "public, max-age=86400");
    if accepts_gzip(headers) {
        return builder.header(header::CONTENT_ENCODING, "gzip").body(gz);
    }
    let mut plain = Vec::new();
    match flate2::read::GzDecoder::new(gz).read_to_end(&mut plain) {
        Ok(_) => builder.body(plain),
        Err(_) => builder.status(StatusCode::INTERNAL_SERVER_ERROR).finish(),
    }
}

/// Whether `Accept-Encoding` names gzip (or `*`) without `q=0`.
fn accepts_gzip(headers: &HeaderMap) -> bool {
    let Some(value) = headers
        .get(header::ACCEPT_ENCODING)
        .and_then(|v| v.to_str().ok())
    else {
        return false;
    };
    value.split(',').any(|item| {
        let mut parts = item.split(';').map(str::trim);
        let coding = parts.next().unwrap_or_default().to_ascii_lowercase();
        let refused = parts.any(|p| {
            p.strip_prefix("q=")
                .and_then(|q| q.parse::<f32>().ok())
                .is_some_and(|q| q == 0.0)
        });
        (coding == "gzip" || coding == "x-gzip" || coding == "*") && !refused
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn with(value: &str) -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert(header::ACCEPT_ENCODING, value.parse().unwrap());
        headers
    }

    #[test]
    fn gzip_is_sent_only_to_clients_that_take_it() {
        for yes in [
            "gzip",
            "gzip, deflate, br",
            "br;q=1.0, gzip;q=0.8",
            "*",
            "x-gzip",
        ] {
            assert!(accepts_gzip(&with(yes)), "{yes}");
        }
        for no in ["identity", "br", "gzip;q=0", "deflate, gzip; q=0"] {
            assert!(!accepts_gzip(&with(no)), "{no}");
        }
        assert!(!accepts_gzip(&HeaderMap::new()));
    }
}
