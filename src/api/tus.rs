//! The tus 1.0.0 wire format: `Tus-Resumable`, `Upload-Metadata`, `Upload-Checksum`,
//! `Upload-Expires`, and the headers every `/uploads` answer carries.

use std::collections::BTreeMap;

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use poem::http::{HeaderValue, StatusCode};
use poem::{Endpoint, IntoResponse, Request, Response};

use crate::error::ApiError;
use crate::service::uploads::partial::Checksum;

pub const VERSION: &str = "1.0.0";
pub const EXTENSIONS: &str = "creation,creation-with-upload,termination,checksum,expiration";
pub const CHECKSUMS: &str = "sha1,sha256";
pub const CHUNK_TYPE: &str = "application/offset+octet-stream";

/// 412 unless the client speaks our version (every tus request but OPTIONS must say).
pub fn require_version(given: Option<&str>) -> Result<(), ApiError> {
    match given {
        Some(VERSION) => Ok(()),
        _ => Err(ApiError::new(
            StatusCode::PRECONDITION_FAILED,
            "precondition_failed",
            format!("Tus-Resumable must be {VERSION}"),
        )),
    }
}

/// 415 unless the body is declared as `application/offset+octet-stream`.
pub fn require_chunk_type(req: &Request) -> Result<(), ApiError> {
    if req.content_type() == Some(CHUNK_TYPE) {
        return Ok(());
    }
    Err(ApiError::new(
        StatusCode::UNSUPPORTED_MEDIA_TYPE,
        "unsupported_media_type",
        format!("upload bytes must be sent as {CHUNK_TYPE}"),
    ))
}

/// `key base64,key2 base64,flag`: pairs separated by commas, values base64 (may be absent).
pub fn parse_metadata(header: &str) -> Result<BTreeMap<String, String>, ApiError> {
    let mut pairs = BTreeMap::new();
    for pair in header.split(',').map(str::trim).filter(|p| !p.is_empty()) {
        let mut parts = pair.splitn(2, ' ');
        let key = parts.next().unwrap_or_default();
        let value = match parts.next().map(str::trim) {
            Some(encoded) => {
                let bytes = STANDARD.decode(encoded).map_err(|_| {
                    ApiError::bad_request(format!("Upload-Metadata: `{key}` is not base64"))
                })?;
                String::from_utf8(bytes).map_err(|_| {
                    ApiError::bad_request(format!("Upload-Metadata: `{key}` is not UTF-8"))
                })?
            }
            None => String::new(),
        };
        if key.is_empty() || pairs.insert(key.to_owned(), value).is_some() {
            return Err(ApiError::bad_request(
                "Upload-Metadata: empty or repeated key",
            ));
        }
    }
    Ok(pairs)
}

/// An `Upload-Checksum` header, if it says anything: an empty one is no checksum.
pub fn checksum(header: Option<&str>) -> Result<Option<Checksum>, ApiError> {
    header
        .filter(|h| !h.trim().is_empty())
        .map(parse_checksum)
        .transpose()
}

/// Makes a checksum of one algorithm from its digest.
pub type MakeChecksum = fn(Vec<u8>) -> Checksum;

/// The checksum algorithms (as `CHECKSUMS` names them), their digests' lengths in bytes,
/// and the checksum each makes.
pub const DIGESTS: [(&str, usize, MakeChecksum); 2] = [
    ("sha1", 20, Checksum::Sha1),
    ("sha256", 32, Checksum::Sha256),
];

/// `sha1 <base64>` or `sha256 <base64>`; anything else is 400, as tus asks.
pub fn parse_checksum(header: &str) -> Result<Checksum, ApiError> {
    let (algorithm, encoded) = header
        .trim()
        .split_once(' ')
        .ok_or_else(|| ApiError::bad_request("Upload-Checksum: expected `<algorithm> <base64>`"))?;
    let digest = STANDARD
        .decode(encoded.trim())
        .map_err(|_| ApiError::bad_request("Upload-Checksum: the digest is not base64"))?;
    let Some(&(_, len, make)) = DIGESTS.iter().find(|(name, ..)| *name == algorithm) else {
        return Err(ApiError::bad_request(format!(
            "Upload-Checksum: unsupported algorithm `{algorithm}` (use {CHECKSUMS})"
        )));
    };
    if digest.len() != len {
        return Err(ApiError::bad_request(
            "Upload-Checksum: the digest has the wrong length",
        ));
    }
    Ok(make(digest))
}

/// `Upload-Expires` is an HTTP date (RFC 9110 IMF-fixdate).
pub use crate::http::byte_serving::http_date;

/// Adds `Tus-Resumable` to every answer under `/uploads` (errors included) and
/// `Tus-Version` to a 412, as the protocol requires.
pub async fn headers<E: Endpoint>(ep: std::sync::Arc<E>, req: Request) -> poem::Result<Response> {
    let is_tus = req.uri().path().starts_with(super::routes::UPLOADS);
    let result = ep.call(req).await.map(IntoResponse::into_response);
    if !is_tus {
        return result;
    }
    let mut response = result.unwrap_or_else(crate::error::to_response);
    let headers = response.headers_mut();
    headers.insert("tus-resumable", HeaderValue::from_static(VERSION));
    if response.status() == StatusCode::PRECONDITION_FAILED {
        response
            .headers_mut()
            .insert("tus-version", HeaderValue::from_static(VERSION));
    }
    Ok(response)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_advertised_checksums_are_the_digests_known() {
        let names: Vec<&str> = DIGESTS.iter().map(|(name, ..)| *name).collect();
        assert_eq!(CHECKSUMS, names.join(","));
    }

    #[test]
    fn metadata_pairs_decode_and_flags_are_empty() -> Result<(), ApiError> {
        let parsed =
            parse_metadata("filename d29ybGRfZG9taW5hdGlvbl9wbGFuLnBkZg==,is_confidential")?;
        assert_eq!(parsed["filename"], "world_domination_plan.pdf");
        assert_eq!(parsed["is_confidential"], "");
        assert!(parse_metadata("filename !!!").is_err());
        assert!(parse_metadata("a YQ==,a YQ==").is_err());
        Ok(())
    }

    #[test]
    fn checksums_name_a_known_algorithm_and_length() -> Result<(), ApiError> {
        let sha1 = STANDARD.encode([0u8; 20]);
        assert_eq!(
            parse_checksum(&format!("sha1 {sha1}"))?,
            Checksum::Sha1(vec![0; 20])
        );
        assert!(parse_checksum(&format!("sha256 {sha1}")).is_err());
        assert!(parse_checksum(&format!("md5 {sha1}")).is_err());
        assert!(parse_checksum("sha1").is_err());
        Ok(())
    }

    #[test]
    fn expiry_is_an_http_date() {
        assert_eq!(http_date(784111777), "Sun, 06 Nov 1994 08:49:37 GMT");
    }
}
