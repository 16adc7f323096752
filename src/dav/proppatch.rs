//! PROPPATCH: dead properties are stored in SQLite, all changes or none (RFC 4918 §9.2).
//! Live properties are protected (403 inside the 207, the others 424), except the
//! modification time: `getlastmodified` and Explorer's `Win32LastModifiedTime` set the
//! entry's `modified_at` (SPEC §11). Explorer's other `Win32*` times are kept as dead
//! properties, which is all it needs to call the copy a success.

use std::fmt::Write as _;

use poem::http::StatusCode;
use poem::{Body, Response};

use super::locking::read_xml;
use super::props::{element, is_live};
use super::respond::{self, status_line, xml_response, Failure, XML_DECL};
use super::xml::{escape, Element, DAV};
use super::{Call, Dav, Target};
use crate::error::ApiError;
use crate::ids::EntryId;
use crate::service::drive::check_mtime;
use crate::service::drive::props::PropChange;

/// Explorer's namespace for its `Win32*` properties.
const MS: &str = "urn:schemas-microsoft-com:";

/// One instruction of the body, and how it fared.
struct Instruction {
    ns: String,
    name: String,
    change: PropChange,
    /// The element's text (what a time property is read from).
    text: String,
    refused: Option<StatusCode>,
}

impl Dav {
    pub(super) async fn proppatch(&self, call: &Call<'_>, body: Body) -> Result<Response, Failure> {
        let root = read_xml(call, body)
            .await?
            .ok_or_else(|| ApiError::bad_request("PROPPATCH needs a DAV:propertyupdate body"))?;
        let target = self.target(call.owner, &call.path).await?;
        let entry = match &target {
            Target::Missing => return Err(ApiError::not_found().into()),
            Target::Root => return Err(respond::root_refused()),
            Target::Entry(e) => e.clone(),
        };
        self.guard(call, &target, false, false).await?;
        let mut instructions = instructions(&root)?;
        let mut modified_at = None;
        for i in &mut instructions {
            match (&i.change, mtime_property(&i.ns, &i.name)) {
                (PropChange::Set { .. }, true) => {
                    match parse_time(&i.text).filter(|t| check_mtime(*t).is_ok()) {
                        Some(t) => modified_at = Some(t),
                        None => i.refused = Some(StatusCode::CONFLICT),
                    }
                }
                (_, _) if is_live(&i.ns, &i.name) => i.refused = Some(StatusCode::FORBIDDEN),
                _ => {}
            }
        }
        let failed = instructions.iter().any(|i| i.refused.is_some());
        if !failed {
            let changes = instructions
                .iter()
                .filter(|i| !is_live(&i.ns, &i.name))
                .map(|i| i.change.clone())
                .collect();
            let id = EntryId(entry.record.id);
            self.0
                .drive
                .patch_props(call.owner, id, changes, modified_at)
                .await?;
        }
        let href = call.path.href(entry.record.is_folder);
        Ok(multistatus(&href, &instructions, failed))
    }
}

/// The properties that carry the modification time.
fn mtime_property(ns: &str, name: &str) -> bool {
    (ns == DAV && name == "getlastmodified") || (ns == MS && name == "Win32LastModifiedTime")
}

/// An HTTP date (RFC 9110 §5.6.7, all three forms) as unix seconds.
fn parse_time(value: &str) -> Option<i64> {
    let time = httpdate::parse_http_date(value.trim()).ok()?;
    let seconds = time.duration_since(std::time::UNIX_EPOCH).ok()?.as_secs();
    i64::try_from(seconds).ok()
}

fn instructions(root: &Element) -> Result<Vec<Instruction>, Failure> {
    let bad = |m: &str| -> Failure { ApiError::bad_request(m.to_owned()).into() };
    if !root.is(DAV, "propertyupdate") {
        return Err(bad("a PROPPATCH body is a DAV:propertyupdate"));
    }
    let mut out = Vec::new();
    for op in root.elements() {
        let set = match (op.ns.as_str(), op.name.as_str()) {
            (DAV, "set") => true,
            (DAV, "remove") => false,
            _ => return Err(bad("propertyupdate holds set and remove")),
        };
        let prop = op
            .child(DAV, "prop")
            .ok_or_else(|| bad("set and remove hold a prop"))?;
        for p in prop.elements() {
            let (ns, name) = (p.ns.clone(), p.name.clone());
            let change = match set {
                true => PropChange::Set {
                    ns: ns.clone(),
                    name: name.clone(),
                    value: value_of(p),
                },
                false => PropChange::Remove {
                    ns: ns.clone(),
                    name: name.clone(),
                },
            };
            out.push(Instruction {
                ns,
                name,
                change,
                text: p.text(),
                refused: None,
            });
        }
    }
    if out.is_empty() {
        return Err(bad("propertyupdate changes nothing"));
    }
    Ok(out)
}

/// A property's value as stored: its content, self-contained (or the plain text when
/// it holds no element, which is what the time properties are read from).
fn value_of(p: &Element) -> String {
    if p.elements().next().is_none() {
        return escape(&p.text_untrimmed());
    }
    p.inner_xml()
}

fn multistatus(href: &str, instructions: &[Instruction], failed: bool) -> Response {
    let mut body = format!(
        "{XML_DECL}<D:multistatus xmlns:D=\"DAV:\"><D:response><D:href>{}</D:href>",
        escape(href)
    );
    for i in instructions {
        let status = match (i.refused, failed) {
            (Some(status), _) => status,
            (None, true) => StatusCode::FAILED_DEPENDENCY,
            (None, false) => StatusCode::OK,
        };
        let _ = write!(
            body,
            "<D:propstat><D:prop>{}</D:prop><D:status>{}</D:status></D:propstat>",
            element(&i.ns, &i.name, ""),
            status_line(status)
        );
    }
    body.push_str("</D:response></D:multistatus>");
    xml_response(StatusCode::MULTI_STATUS, body)
}
