//! PROPFIND, Depth 0 and 1 (`infinity` is 403 `propfind-finite-depth`). The multistatus
//! streams: a folder's children are read a page at a time and written as they come, so
//! memory stays flat for any folder size.

use poem::http::StatusCode;
use poem::{Body, Response};
use tokio::io::AsyncWriteExt;

use super::conditions::{depth, Depth};
use super::locking::read_xml;
use super::path::{percent_encode, DavPath};
use super::props::{Item, Name, Wanted};
use super::respond::{Failure, XML_DECL};
use super::xml::{Element, DAV};
use super::{Call, Dav, Target};
use crate::error::ApiError;
use crate::ids::UserId;
use crate::service::drive::props::{DeadProp, Space};
use crate::service::drive::{Entry, Listing, SortKey};
use crate::service::locks::{covers_path, Lock};

/// Children read per page (each page is one hop to the blocking pool and one chunk).
const PAGE: i64 = 1000;

/// What one streamed PROPFIND needs after the handler has returned.
struct Job {
    dav: Dav,
    owner: UserId,
    path: DavPath,
    target: Target,
    one: bool,
    wanted: Wanted,
    space: Space,
    locks: Vec<Lock>,
}

impl Dav {
    pub(super) async fn propfind(&self, call: &Call<'_>, body: Body) -> Result<Response, Failure> {
        let one = match depth(call.req)? {
            Some(Depth::Zero) => false,
            Some(Depth::One) => true,
            Some(Depth::Infinity) | None => {
                return Err(Failure::Xml(
                    StatusCode::FORBIDDEN,
                    "<D:propfind-finite-depth/>".into(),
                ))
            }
        };
        let wanted = wanted(read_xml(call, body).await?.as_ref())?;
        let target = self.target(call.owner, &call.path).await?;
        if matches!(target, Target::Missing) {
            return Err(ApiError::not_found().into());
        }
        let space = self.0.drive.space(call.owner).await?;
        let locks = self.0.locks.within(call.owner, &call.path.key()).await?;
        let job = Job {
            dav: self.clone(),
            owner: call.owner,
            path: call.path.clone(),
            target,
            one,
            wanted,
            space,
            locks,
        };
        let (reader, writer) = tokio::io::duplex(64 * 1024);
        tokio::spawn(async move {
            if let Err(error) = job.write(writer).await {
                tracing::debug!(%error, "PROPFIND stream ended early");
            }
        });
        Ok(Response::builder()
            .status(StatusCode::MULTI_STATUS)
            .content_type("application/xml; charset=utf-8")
            .body(Body::from_async_read(reader)))
    }
}

impl Job {
    async fn write(self, mut out: tokio::io::DuplexStream) -> std::io::Result<()> {
        out.write_all(XML_DECL.as_bytes()).await?;
        out.write_all(b"<D:multistatus xmlns:D=\"DAV:\">").await?;
        let own = match &self.target {
            Target::Entry(e) => vec![e.clone()],
            _ => Vec::new(),
        };
        let dead = self.dead_props(&own).await;
        let folder = self.target.is_folder();
        let item = Item {
            href: self.path.href(folder),
            entry: own.first(),
            locks: self.locks_of(&self.path.key()),
            dead: dead.iter().collect(),
        };
        let mut chunk = String::new();
        item.render_into(&self.wanted, self.space, &mut chunk);
        out.write_all(chunk.as_bytes()).await?;
        if self.one && self.target.is_folder() {
            self.children(&mut out).await?;
        }
        out.write_all(b"</D:multistatus>").await?;
        out.shutdown().await
    }

    async fn children(&self, out: &mut tokio::io::DuplexStream) -> std::io::Result<()> {
        let parent = self.target.id();
        let base_href = self.path.href(true);
        let base_key = self.path.key();
        let mut offset = 0;
        loop {
            let listing = Listing {
                sort: SortKey::Name,
                descending: false,
                limit: PAGE,
                offset,
            };
            let page = self
                .dav
                .0
                .drive
                .list(self.owner, parent, None, listing)
                .await;
            let entries = page.map_err(std::io::Error::other)?.0;
            let dead = self.dead_props(&entries).await;
            let mut chunk = String::with_capacity(entries.len() * 800);
            for entry in &entries {
                let record = &entry.record;
                let mut href = format!("{base_href}{}", percent_encode(&record.name));
                if record.is_folder {
                    href.push('/');
                }
                let item = Item {
                    href,
                    entry: Some(entry),
                    locks: self.locks_of(&child_key(&base_key, &record.name)),
                    dead: dead.iter().filter(|p| p.entry_id == record.id).collect(),
                };
                item.render_into(&self.wanted, self.space, &mut chunk);
            }
            out.write_all(chunk.as_bytes()).await?;
            if (entries.len() as i64) < PAGE {
                return Ok(());
            }
            offset += PAGE;
        }
    }

    fn locks_of(&self, key: &str) -> Vec<Lock> {
        if self.locks.is_empty() {
            return Vec::new();
        }
        let covering = self.locks.iter().filter(|l| covers_path(l, key));
        covering.cloned().collect()
    }

    async fn dead_props(&self, entries: &[Entry]) -> Vec<DeadProp> {
        let needed = match &self.wanted {
            Wanted::Some(names) => names.iter().any(|(ns, _)| ns != DAV),
            Wanted::All(_) | Wanted::Names => true,
        };
        if !needed {
            return Vec::new();
        }
        let ids = entries.iter().map(|e| e.record.id).collect();
        self.dav
            .0
            .drive
            .dead_props(self.owner, ids)
            .await
            .unwrap_or_default()
    }
}

/// The lock key of a child: `/a` + `b` → `/a/b`.
fn child_key(parent: &str, name: &str) -> String {
    match parent {
        "/" => format!("/{name}"),
        _ => format!("{parent}/{name}"),
    }
}

/// The `<D:propfind>` body (none: `allprop`).
fn wanted(body: Option<&Element>) -> Result<Wanted, Failure> {
    let Some(root) = body else {
        return Ok(Wanted::All(Vec::new()));
    };
    let bad = |m: &str| -> Failure { ApiError::bad_request(m.to_owned()).into() };
    if !root.is(DAV, "propfind") {
        return Err(bad("a PROPFIND body is a DAV:propfind"));
    }
    let names = |e: &Element| -> Vec<Name> {
        e.elements()
            .map(|p| (p.ns.clone(), p.name.clone()))
            .collect()
    };
    if let Some(prop) = root.child(DAV, "prop") {
        return Ok(Wanted::Some(names(prop)));
    }
    if root.child(DAV, "propname").is_some() {
        return Ok(Wanted::Names);
    }
    if root.child(DAV, "allprop").is_some() {
        let include = root.child(DAV, "include").map(names).unwrap_or_default();
        return Ok(Wanted::All(include));
    }
    Err(bad("propfind holds prop, propname or allprop"))
}
