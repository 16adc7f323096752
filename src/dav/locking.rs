//! LOCK and UNLOCK, and the guard every write passes: the locks on the resource must have
//! their tokens submitted (else 423), and the `If` header must hold (else 412).

use poem::http::StatusCode;
use poem::{Body, Response};

use super::conditions::{self, depth, lock_token, Check, Depth, List};
use super::path::DavPath;
use super::props::lockdiscovery;
use super::respond::{self, xml_response, Failure, XML_DECL};
use super::xml::{self, DAV};
use super::{bytes::etag_hash, Call, Dav, Target};
use crate::service::drive::versions::Source;
use crate::error::ApiError;
use crate::service::locks::{grant_timeout, LockRequest, Write, DEFAULT_TIMEOUT_S};

/// One path a request writes, for [`Dav::guard_all`].
pub(super) struct Guarded<'a> {
    pub path: &'a DavPath,
    pub target: &'a Target,
    pub deep: bool,
    pub membership: bool,
}

/// Largest XML body of PROPFIND, PROPPATCH and LOCK.
pub const MAX_XML_BODY: usize = 1024 * 1024;

/// Reads an XML request body, at most [`MAX_XML_BODY`] bytes (else 413).
pub(super) async fn read_xml(call: &Call<'_>, body: Body) -> Result<Option<xml::Element>, Failure> {
    let declared = crate::http::request_body::declared_length(call.req);
    if declared.is_some_and(|n| n > MAX_XML_BODY as u64) {
        return Err(
            ApiError::too_large(format!("XML bodies are at most {MAX_XML_BODY} bytes")).into(),
        );
    }
    let bytes = body
        .into_bytes_limit(MAX_XML_BODY)
        .await
        .map_err(|_| ApiError::too_large(format!("XML bodies are at most {MAX_XML_BODY} bytes")))?;
    xml::parse(&bytes).map_err(|e| ApiError::bad_request(e.0).into())
}

impl Dav {
    /// The locks and `If` conditions a write to `call.path` must satisfy. `deep`: the
    /// write reaches everything below (DELETE or MOVE of a folder); `membership`: it adds
    /// or removes the path, so the parent folder's locks count too.
    pub(super) async fn guard(
        &self,
        call: &Call<'_>,
        target: &Target,
        deep: bool,
        membership: bool,
    ) -> Result<(), Failure> {
        let write = Guarded {
            path: &call.path,
            target,
            deep,
            membership,
        };
        self.guard_all(call, &[write]).await
    }

    /// [`Dav::guard`] for a request that writes several paths (MOVE: the source and the
    /// destination): the `If` header is evaluated once, then each path's locks.
    pub(super) async fn guard_all(
        &self,
        call: &Call<'_>,
        writes: &[Guarded<'_>],
    ) -> Result<(), Failure> {
        let lists = self.if_holds_or_412(call).await?;
        let submitted = conditions::submitted(&lists);
        for guarded in writes {
            let write = Write {
                path: &guarded.path.key(),
                deep: guarded.deep && guarded.target.is_folder(),
                membership: guarded.membership,
                submitted: &submitted,
            };
            self.0.locks.check(call.owner, write).await?;
        }
        Ok(())
    }

    /// The `If` header, after checking that it holds (412 when it does not). It is
    /// evaluated before the locks: a false condition is 412 even on a locked resource.
    async fn if_holds_or_412(&self, call: &Call<'_>) -> Result<Option<Vec<List>>, Failure> {
        let lists = conditions::if_header(call.req)?;
        if let Some(lists) = &lists {
            if !self.if_holds(call, lists).await? {
                return Err(respond::precondition_failed("the If header does not hold"));
            }
        }
        Ok(lists)
    }

    /// RFC 4918 §10.4: true when any list holds for the resource it names.
    async fn if_holds(&self, call: &Call<'_>, lists: &[List]) -> Result<bool, Failure> {
        for list in lists {
            let path = match &list.tag {
                None => Some(call.path.clone()),
                Some(tag) => tagged_path(tag),
            };
            let Some(path) = path else { continue };
            let target = self.target(call.owner, &path).await?;
            let mut holds = true;
            for condition in &list.conditions {
                let matched = match &condition.check {
                    Check::Token(token) => {
                        self.0.locks.covers(call.owner, &path.key(), token).await?
                    }
                    Check::ETag(tag) => match &target {
                        Target::Entry(e) if !e.record.is_folder => {
                            tag.trim_start_matches("W/").trim_matches('"') == etag_hash(e)
                        }
                        _ => false,
                    },
                };
                if matched == condition.not {
                    holds = false;
                    break;
                }
            }
            if holds {
                return Ok(true);
            }
        }
        Ok(false)
    }

    pub(super) async fn lock(&self, call: &Call<'_>, body: Body) -> Result<Response, Failure> {
        let timeout = conditions::timeout(call.req)
            .map(grant_timeout)
            .unwrap_or(DEFAULT_TIMEOUT_S);
        let Some(info) = read_xml(call, body).await? else {
            return self.refresh(call, timeout).await;
        };
        let request = lock_request(&info, depth(call.req)?, timeout)?;
        let mut target = self.target(call.owner, &call.path).await?;
        if matches!(target, Target::Missing) {
            self.parent_folder(call.owner, &call.path).await?;
        }
        // Not the lock guard: a LOCK on a locked resource is decided by lock compatibility.
        self.if_holds_or_412(call).await?;
        let lock = self
            .0
            .locks
            .lock(call.owner, &call.path.key(), request)
            .await?;
        let mut status = StatusCode::OK;
        if matches!(target, Target::Missing) {
            let created = self
                .0
                .drive
                .put_stream(
                    call.owner,
                    call.path.names.clone(),
                    Some(0),
                    (None, Source::WebDav),
                    &mut tokio::io::empty(),
                )
                .await;
            match created {
                Ok((entry, _)) => target = Target::Entry(entry),
                Err(error) => {
                    let _ = self
                        .0
                        .locks
                        .unlock(call.owner, &call.path.key(), &lock.token)
                        .await;
                    return Err(error.into());
                }
            }
            status = StatusCode::CREATED;
        }
        let body = format!(
            "{XML_DECL}<D:prop xmlns:D=\"DAV:\">{}</D:prop>",
            lockdiscovery(std::slice::from_ref(&lock), target.is_folder())
        );
        let mut response = xml_response(status, body);
        response.headers_mut().insert(
            "lock-token",
            format!("<{}>", lock.token)
                .parse()
                .map_err(|_| ApiError::internal(&"lock token"))?,
        );
        Ok(response)
    }

    /// LOCK without a body: refreshes the lock named in the `If` header.
    async fn refresh(&self, call: &Call<'_>, timeout: i64) -> Result<Response, Failure> {
        let lists = conditions::if_header(call.req)?;
        let tokens = conditions::submitted(&lists);
        let target = self.target(call.owner, &call.path).await?;
        for token in tokens {
            if let Ok(lock) = self
                .0
                .locks
                .refresh(call.owner, &call.path.key(), &token, timeout)
                .await
            {
                let body = format!(
                    "{XML_DECL}<D:prop xmlns:D=\"DAV:\">{}</D:prop>",
                    lockdiscovery(&[lock], target.is_folder())
                );
                return Ok(xml_response(StatusCode::OK, body));
            }
        }
        Err(respond::precondition_failed(
            "a lock refresh needs the If header to name a lock of this resource",
        ))
    }

    pub(super) async fn unlock(&self, call: &Call<'_>) -> Result<Response, Failure> {
        let token = lock_token(call.req)?;
        self.0
            .locks
            .unlock(call.owner, &call.path.key(), &token)
            .await?;
        Ok(Response::builder().status(StatusCode::NO_CONTENT).finish())
    }
}

/// An `If` resource tag as a path of the caller's tree (None: not one of ours).
fn tagged_path(tag: &str) -> Option<DavPath> {
    let uri: poem::http::Uri = tag.parse().ok()?;
    DavPath::from_request_path(uri.path()).ok()
}

/// The `<D:lockinfo>` of a LOCK request.
fn lock_request(
    info: &xml::Element,
    depth: Option<Depth>,
    timeout_s: i64,
) -> Result<LockRequest, Failure> {
    let bad = |m: &str| -> Failure { ApiError::bad_request(m.to_owned()).into() };
    if !info.is(DAV, "lockinfo") {
        return Err(bad("a LOCK body is a DAV:lockinfo"));
    }
    let scope = info
        .child(DAV, "lockscope")
        .and_then(|s| s.elements().next())
        .ok_or_else(|| bad("lockinfo needs a lockscope"))?;
    let shared = match (scope.ns.as_str(), scope.name.as_str()) {
        (DAV, "shared") => true,
        (DAV, "exclusive") => false,
        _ => return Err(bad("lockscope is exclusive or shared")),
    };
    let write = info
        .child(DAV, "locktype")
        .and_then(|t| t.elements().next())
        .is_some_and(|t| t.is(DAV, "write"));
    if !write {
        return Err(bad("only write locks exist"));
    }
    let deep = match depth {
        None | Some(Depth::Infinity) => true,
        Some(Depth::Zero) => false,
        Some(Depth::One) => return Err(bad("LOCK is Depth: 0 or infinity")),
    };
    let holder = info
        .child(DAV, "owner")
        .map(|o| o.inner_xml())
        .unwrap_or_default();
    Ok(LockRequest {
        deep,
        shared,
        holder,
        timeout_s,
    })
}
