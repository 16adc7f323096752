//! COPY and MOVE (RFC 4918 §9.8–9.9): `Destination` on this server only (else 502),
//! `Overwrite` (a replaced destination goes to the trash first), `Depth`. A copy shares
//! the blobs (nothing is re-copied) and keeps the dead properties of everything it copies;
//! a move keeps the entry.

use poem::http::StatusCode;
use poem::Response;

use super::conditions::{depth, overwrite, Depth};
use super::locking::Guarded;
use super::path;
use super::respond::{self, Failure};
use super::tree::no_content;
use super::{Call, Dav, Target};
use crate::error::ApiError;
use crate::ids::EntryId;
use crate::service::drive::tree::Change;
use crate::service::drive::Entry;

impl Dav {
    pub(super) async fn copy_or_move(
        &self,
        call: &Call<'_>,
        moving: bool,
    ) -> Result<Response, Failure> {
        let dest = path::destination(call.req)?;
        let deep = match (depth(call.req)?, moving) {
            (None | Some(Depth::Infinity), _) => true,
            (Some(Depth::Zero), false) => false,
            _ => {
                return Err(ApiError::bad_request("Depth must be infinity (or 0 for COPY)").into())
            }
        };
        let replace = overwrite(call.req)?;
        let source = match self.target(call.owner, &call.path).await? {
            Target::Missing => return Err(ApiError::not_found().into()),
            Target::Root => return Err(respond::root_refused()),
            Target::Entry(e) => e,
        };
        if dest.is_root() || call.path == dest {
            return Err(respond::forbidden(
                "the source and the destination are the same",
            ));
        }
        if source.record.is_folder && call.path.contains(&dest) {
            return Err(respond::forbidden("a folder cannot go inside itself"));
        }
        let dest_parent = self.parent_folder(call.owner, &dest).await?;
        let dest_target = self.target(call.owner, &dest).await?;
        let source_target = Target::Entry(source.clone());
        let guard = |path, target| Guarded {
            path,
            target,
            deep: true,
            membership: true,
        };
        let mut writes = Vec::new();
        if moving {
            writes.push(guard(&call.path, &source_target));
        }
        writes.push(guard(&dest, &dest_target));
        self.guard_all(call, &writes).await?;
        let existed = dest_target.exists();
        if let Target::Entry(old) = &dest_target {
            if !replace {
                return Err(respond::precondition_failed(
                    "the destination exists and Overwrite is F",
                ));
            }
            self.0
                .drive
                .delete(call.owner, EntryId(old.record.id))
                .await?;
            self.0.locks.forget(call.owner, &dest.key()).await?;
        }
        let name = dest.last().cloned().ok_or_else(respond::root_refused)?;
        let id = EntryId(source.record.id);
        if moving {
            let change = Change {
                name: Some(name),
                parent: Some(dest_parent),
            };
            self.0.drive.change(call.owner, id, change).await?;
            self.0.locks.forget(call.owner, &call.path.key()).await?;
        } else {
            self.copy(call, &source, dest_parent, name, deep).await?;
        }
        Ok(match existed {
            true => no_content(),
            false => Response::builder().status(StatusCode::CREATED).finish(),
        })
    }

    async fn copy(
        &self,
        call: &Call<'_>,
        source: &Entry,
        parent: Option<EntryId>,
        name: crate::service::drive::names::FileName,
        deep: bool,
    ) -> Result<(), Failure> {
        let id = EntryId(source.record.id);
        let copied = match source.record.is_folder && !deep {
            true => self.0.drive.create_folder(call.owner, parent, name).await?,
            false => {
                self.0
                    .drive
                    .copy(call.owner, id, Some(parent), Some(name))
                    .await?
            }
        };
        self.0
            .drive
            .copy_props(call.owner, id, EntryId(copied.record.id))
            .await?;
        Ok(())
    }
}
