//! The QR code of an `otpauth://` URL as a small SVG document: one path of dark modules.

use std::fmt::Write as _;

use qrcodegen::{QrCode, QrCodeEcc};

use crate::service::AuthError;

const BORDER: i32 = 4;

pub fn svg(text: &str) -> Result<String, AuthError> {
    let qr = QrCode::encode_text(text, QrCodeEcc::Medium)
        .map_err(|e| AuthError::Internal(format!("qr code: {e:?}")))?;
    let size = qr.size() + BORDER * 2;
    let mut path = String::new();
    for y in 0..qr.size() {
        for x in 0..qr.size() {
            if qr.get_module(x, y) {
                let _ = write!(path, "M{},{}h1v1h-1z", x + BORDER, y + BORDER);
            }
        }
    }
    Ok(format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 {size} {size}\" \
         shape-rendering=\"crispEdges\"><rect width=\"100%\" height=\"100%\" fill=\"#fff\"/>\
         <path d=\"{path}\" fill=\"#000\"/></svg>"
    ))
}
