//! Multipart uploads that never completed. Hoard aborts its own on every error it sees; one
//! cut short by a killed process, or whose abort failed because the store was down, is only
//! visible in the bucket's list of in-progress uploads, which `object_store` does not
//! offer. So this one request is made by hand: `GET /<bucket>?uploads&prefix=…`, signed with
//! the client's own SigV4 signer, its XML read for key, id and start time; the abort itself
//! goes through the client.

use chrono::DateTime;
use object_store::aws::AwsAuthorizer;
use object_store::multipart::MultipartStore;
use object_store::path::Path as Key;
use quick_xml::events::Event;

use super::{S3Blobs, S3Error};

/// An in-progress multipart upload as the bucket lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unfinished {
    /// The object's name without the configured prefix.
    pub key: String,
    pub upload_id: String,
    /// Unix seconds.
    pub initiated: i64,
}

impl S3Blobs {
    /// In-progress multipart uploads under `objects/` (the first 1000).
    pub async fn unfinished(&self) -> Result<Vec<Unfinished>, S3Error> {
        let prefix = format!("{}objects/", self.prefix);
        let url = format!("{}?uploads&prefix={}", self.bucket_url, percent(&prefix));
        let credential = self
            .store
            .credentials()
            .get_credential()
            .await
            .map_err(S3Error::from)?;
        let mut request = object_store::client::HttpRequest::new(Vec::new().into());
        *request.uri_mut() = url
            .parse()
            .map_err(|e| S3Error::Unavailable(format!("bad bucket URL: {e}")))?;
        AwsAuthorizer::new(&credential, "s3", &self.region).authorize(&mut request, None);
        let mut get = self.http.get(&url);
        for (name, value) in request.headers() {
            get = get.header(name.as_str(), value.as_bytes());
        }
        let reply = get
            .send()
            .await
            .map_err(|e| S3Error::Unavailable(e.to_string()))?;
        let status = reply.status();
        let body = reply
            .text()
            .await
            .map_err(|e| S3Error::Unavailable(e.to_string()))?;
        match status.as_u16() {
            200 => Ok(parse(&body, &self.prefix)),
            401 | 403 => Err(S3Error::Denied(body)),
            _ => Err(S3Error::Unavailable(format!("listing uploads: {status}"))),
        }
    }

    /// Aborts one in-progress multipart upload (its parts are deleted).
    pub async fn abort(&self, unfinished: &Unfinished) -> Result<(), S3Error> {
        let key = Key::from(format!("{}{}", self.prefix, unfinished.key));
        self.store
            .abort_multipart(&key, &unfinished.upload_id)
            .await
            .map_err(S3Error::from)
    }
}

/// SigV4's query encoding: everything but RFC 3986's unreserved characters, `/` included.
pub fn percent(text: &str) -> String {
    const UNRESERVED: &percent_encoding::AsciiSet = &percent_encoding::NON_ALPHANUMERIC
        .remove(b'-')
        .remove(b'_')
        .remove(b'.')
        .remove(b'~');
    percent_encoding::utf8_percent_encode(text, UNRESERVED).to_string()
}

/// The `<Upload>` elements of a ListMultipartUploads answer; keys outside `prefix` and
/// uploads without a readable time are left out.
fn parse(xml: &str, prefix: &str) -> Vec<Unfinished> {
    let mut reader = quick_xml::Reader::from_str(xml);
    let mut found = Vec::new();
    let (mut key, mut id, mut initiated) = (None, None, None);
    let mut field = String::new();
    loop {
        match reader.read_event() {
            Ok(Event::Start(tag)) => {
                field = String::from_utf8_lossy(tag.local_name().as_ref()).into_owned();
            }
            Ok(Event::Text(text)) => {
                let value = text.unescape().map(|v| v.into_owned()).unwrap_or_default();
                match field.as_str() {
                    "Key" => key = Some(value),
                    "UploadId" => id = Some(value),
                    "Initiated" => initiated = DateTime::parse_from_rfc3339(&value).ok(),
                    _ => {}
                }
            }
            Ok(Event::End(tag)) => {
                if tag.local_name().as_ref() == b"Upload" {
                    if let (Some(k), Some(upload_id), Some(at)) =
                        (key.take(), id.take(), initiated.take())
                    {
                        if let Some(key) = k.strip_prefix(prefix) {
                            found.push(Unfinished {
                                key: key.to_owned(),
                                upload_id,
                                initiated: at.timestamp(),
                            });
                        }
                    }
                }
                field.clear();
            }
            Ok(Event::Eof) | Err(_) => break,
            _ => {}
        }
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_listing_is_read_for_key_id_and_time_within_the_prefix() {
        let xml = r#"<?xml version="1.0" encoding="UTF-8"?>
<ListMultipartUploadsResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/">
  <Bucket>b</Bucket><KeyMarker></KeyMarker>
  <Upload><Key>p/objects/aa</Key><UploadId>id-1</UploadId>
    <Initiated>2026-12-07T10:00:00.000Z</Initiated></Upload>
  <Upload><Key>other/objects/bb</Key><UploadId>id-2</UploadId>
    <Initiated>2026-12-07T10:00:00Z</Initiated></Upload>
  <Upload><Key>p/objects/cc&amp;</Key><UploadId>id-3</UploadId>
    <Initiated>2026-12-07T11:00:00Z</Initiated></Upload>
</ListMultipartUploadsResult>"#;
        assert_eq!(
            parse(xml, "p/"),
            [
                Unfinished {
                    key: "objects/aa".into(),
                    upload_id: "id-1".into(),
                    initiated: 1_796_637_600,
                },
                Unfinished {
                    key: "objects/cc&".into(),
                    upload_id: "id-3".into(),
                    initiated: 1_796_641_200,
                },
            ]
        );
        assert_eq!(percent("p q/objects/"), "p%20q%2Fobjects%2F");
    }
}
