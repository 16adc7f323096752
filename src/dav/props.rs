//! Properties as PROPFIND shows them: the live ones of SPEC §11 computed from the entry,
//! the dead ones from SQLite, and the lock discovery.

use std::fmt::Write as _;

use super::path::key_href;
use super::xml::{escape, DAV};
use crate::http::byte_serving::http_date;
use crate::service::drive::props::{DeadProp, Space};
use crate::service::drive::Entry;
use crate::service::locks::Lock;
use crate::service::media;
use crate::service::now;

/// A property name: namespace and local name.
pub type Name = (String, String);

/// What PROPFIND asks for.
#[derive(Debug, Clone)]
pub enum Wanted {
    /// `allprop` (and an empty body), with the `include`d extras.
    All(Vec<Name>),
    Names,
    Some(Vec<Name>),
}

/// The live properties, in the order `allprop` and `propname` list them.
const LIVE: [&str; 9] = [
    "displayname",
    "getcontentlength",
    "getcontenttype",
    "getetag",
    "getlastmodified",
    "creationdate",
    "resourcetype",
    "supportedlock",
    "lockdiscovery",
];
/// RFC 4331: only when asked for by name.
const QUOTA: [&str; 2] = ["quota-available-bytes", "quota-used-bytes"];
/// Only files have these.
const FILE_ONLY: [&str; 3] = ["getcontentlength", "getcontenttype", "getetag"];

/// Whether a DAV: property is live here (so PROPPATCH may not treat it as dead).
pub fn is_live(ns: &str, name: &str) -> bool {
    ns == DAV && (LIVE.contains(&name) || QUOTA.contains(&name))
}

/// One resource of a multistatus.
pub struct Item<'a> {
    /// Its href, already percent-encoded (folders end in `/`).
    pub href: String,
    /// None for the root.
    pub entry: Option<&'a Entry>,
    pub locks: Vec<Lock>,
    pub dead: Vec<&'a DeadProp>,
}

impl Item<'_> {
    fn folder(&self) -> bool {
        self.entry.is_none_or(|e| e.record.is_folder)
    }

    /// Writes `<D:name>value</D:name>` when this item has the live property `name`.
    fn live_into(&self, name: &str, space: Space, out: &mut String) -> bool {
        let folder = self.folder();
        if folder && FILE_ONLY.contains(&name) {
            return false;
        }
        let record = self.entry.map(|e| &e.record);
        let modified = record.map_or_else(now, |r| r.modified_at);
        let value = match name {
            "displayname" => escape(record.map_or("", |r| r.name.as_str())),
            "getcontentlength" => record.map_or(0, |r| r.size).to_string(),
            "getcontenttype" => match record {
                Some(r) => {
                    media::presentation(&r.name, r.mime_type.as_deref(), media::Mode::Download)
                        .content_type
                }
                None => return false,
            },
            "getetag" => match record.and_then(|r| r.sha256.as_ref()) {
                Some(sha) => format!("&quot;{}&quot;", sha.as_str()),
                None => return false,
            },
            "getlastmodified" => http_date(modified),
            "creationdate" => rfc3339(record.map_or(modified, |r| r.created_at)),
            "resourcetype" => match folder {
                true => "<D:collection/>".into(),
                false => String::new(),
            },
            "supportedlock" => SUPPORTED_LOCK.into(),
            "lockdiscovery" => lockdiscovery_inner(&self.locks, folder),
            "quota-available-bytes" => space.available.to_string(),
            "quota-used-bytes" => space.used.to_string(),
            _ => return false,
        };
        let _ = write!(out, "<D:{name}>{value}</D:{name}>");
        true
    }

    /// Appends `<D:response>` for this item to `out`.
    pub fn render_into(&self, wanted: &Wanted, space: Space, out: &mut String) {
        let _ = write!(out, "<D:response><D:href>{}</D:href>", escape(&self.href));
        let mut found = String::new();
        let mut missing = String::new();
        match wanted {
            Wanted::Names => {
                for name in LIVE
                    .iter()
                    .filter(|n| !(self.folder() && FILE_ONLY.contains(n)))
                {
                    let _ = write!(found, "<D:{name}/>");
                }
                for prop in &self.dead {
                    found.push_str(&element(&prop.ns, &prop.name, ""));
                }
            }
            Wanted::All(include) => {
                for name in LIVE {
                    self.live_into(name, space, &mut found);
                }
                for prop in &self.dead {
                    found.push_str(&element(&prop.ns, &prop.name, &prop.value));
                }
                for (_, name) in include.iter().filter(|(ns, _)| ns == DAV) {
                    if QUOTA.contains(&name.as_str()) {
                        self.live_into(name, space, &mut found);
                    }
                }
            }
            Wanted::Some(names) => {
                for (ns, name) in names {
                    if ns == DAV && self.live_into(name, space, &mut found) {
                        continue;
                    }
                    match self.dead.iter().find(|p| &p.ns == ns && &p.name == name) {
                        Some(p) => found.push_str(&element(ns, name, &p.value)),
                        None => missing.push_str(&element(ns, name, "")),
                    }
                }
            }
        }
        for (props, status) in [
            (found, "HTTP/1.1 200 OK"),
            (missing, "HTTP/1.1 404 Not Found"),
        ] {
            if !props.is_empty() {
                let _ = write!(
                    out,
                    "<D:propstat><D:prop>{props}</D:prop><D:status>{status}</D:status></D:propstat>"
                );
            }
        }
        out.push_str("</D:response>");
    }
}

/// A property element in its own namespace, holding `value` (already XML).
pub fn element(ns: &str, name: &str, value: &str) -> String {
    match ns {
        DAV => format!("<D:{name}>{value}</D:{name}>"),
        "" => format!("<{name} xmlns=\"\">{value}</{name}>"),
        _ => format!("<p:{name} xmlns:p=\"{}\">{value}</p:{name}>", escape(ns)),
    }
}

const SUPPORTED_LOCK: &str = "<D:lockentry><D:lockscope><D:exclusive/></D:lockscope><D:locktype><D:write/></D:locktype></D:lockentry>\
<D:lockentry><D:lockscope><D:shared/></D:lockscope><D:locktype><D:write/></D:locktype></D:lockentry>";

/// `<D:lockdiscovery>` with each lock as an `activelock`.
pub fn lockdiscovery(locks: &[Lock], folder: bool) -> String {
    format!(
        "<D:lockdiscovery>{}</D:lockdiscovery>",
        lockdiscovery_inner(locks, folder)
    )
}

fn lockdiscovery_inner(locks: &[Lock], folder: bool) -> String {
    let mut out = String::new();
    for lock in locks {
        let scope = if lock.shared { "shared" } else { "exclusive" };
        let depth = if lock.deep { "infinity" } else { "0" };
        let left = (lock.expires_at - now()).max(0);
        let root = key_href(&lock.path, folder);
        let _ = write!(
            out,
            "<D:activelock><D:locktype><D:write/></D:locktype><D:lockscope><D:{scope}/></D:lockscope>\
             <D:depth>{depth}</D:depth><D:owner>{}</D:owner><D:timeout>Second-{left}</D:timeout>\
             <D:locktoken><D:href>{}</D:href></D:locktoken><D:lockroot><D:href>{}</D:href></D:lockroot></D:activelock>",
            lock.holder,
            escape(&lock.token),
            escape(&root)
        );
    }
    out
}

/// `2026-12-07T04:41:00Z`, written by hand: chrono's `format` parses its pattern on
/// every call, a measurable share of a large PROPFIND.
fn rfc3339(seconds: i64) -> String {
    use chrono::{Datelike, Timelike};
    let Some(t) = chrono::DateTime::from_timestamp(seconds, 0) else {
        return String::new();
    };
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}Z",
        t.year(),
        t.month(),
        t.day(),
        t.hour(),
        t.minute(),
        t.second()
    )
}
