//! The public side of a share: finding it by token, the password proof (header or unlock
//! cookie, throttled like login), paths inside a shared folder, its listing, and counting
//! completed downloads.
//!
//! A request is answered in this order: unknown token, revoked share, entry in the trash
//! or deactivated owner → `NotFound`; past expiry or out of downloads → `Expired`; then the
//! password. Nothing here ever returns the owner's ids, paths outside the share or hashes.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use hmac::Mac;

use super::{is_spent, ShareError, ShareResult, Shares};
use crate::db::entries::{self, EntryRecord};
use crate::db::now;
use crate::db::shares::{self, ShareRecord, SharedItem};
use crate::ids::{EntryId, UserId};
use crate::service::drive::names::parse_path;
use crate::service::drive::namespace::walk;

/// Lifetime of an unlock cookie.
pub const UNLOCK_TTL_S: i64 = 3600;
/// A folder listing stops after this many entries (`truncated` is then true; list a
/// sub-folder with `?path=` to see the rest).
pub const MAX_ITEMS: usize = 10_000;
/// Longest token looked up; shorter garbage never reaches the database either.
const MAX_TOKEN_LEN: usize = 64;

/// What a public request presents as proof of the share password.
#[derive(Debug, Clone, Default)]
pub struct Proof {
    /// `X-Share-Password`.
    pub password: Option<String>,
    /// The unlock cookie sent for this share, if any.
    pub cookie: Option<String>,
    /// The client IP, for the throttles.
    pub ip: String,
}

/// A share the caller may read, with its (live) entry.
#[derive(Debug, Clone)]
pub struct OpenShare {
    pub share: ShareRecord,
    pub entry: EntryRecord,
}

/// An entry inside an open share, and its path relative to the share (`/` for the top).
#[derive(Debug, Clone)]
pub struct Target {
    pub entry: EntryRecord,
    pub path: String,
}

/// A folder's listing inside a share.
#[derive(Debug, Clone)]
pub struct Listing {
    /// Bytes of every file below.
    pub size: i64,
    /// Paths relative to the share, depth-first.
    pub items: Vec<SharedItem>,
    pub truncated: bool,
}

impl Shares {
    /// The share named by `token`, if the caller may read it now.
    pub async fn open(&self, token: &str, proof: &Proof) -> ShareResult<OpenShare> {
        let open = self.find(token).await?;
        let Some(hash) = open.share.password_hash.clone() else {
            return Ok(open);
        };
        let now = now();
        let share = &open.share;
        if proof
            .cookie
            .as_deref()
            .is_some_and(|c| self.cookie_valid(share, c, now))
        {
            return Ok(open);
        }
        let password = proof
            .password
            .as_deref()
            .ok_or(ShareError::PasswordRequired)?;
        self.verify(share.id, &hash, password, &proof.ip).await?;
        Ok(open)
    }

    /// Checks the password once and returns the share, its shared entry and the value of
    /// an unlock cookie (None when the share has no password).
    pub async fn unlock(
        &self,
        token: &str,
        password: &str,
        ip: &str,
    ) -> ShareResult<(OpenShare, Target, Option<String>)> {
        let open = self.find(token).await?;
        let cookie = match open.share.password_hash.clone() {
            None => None,
            Some(hash) => {
                self.verify(open.share.id, &hash, password, ip).await?;
                Some(self.cookie(&open.share, now() + UNLOCK_TTL_S))
            }
        };
        let target = self.target(&open, None).await?;
        Ok((open, target, cookie))
    }

    /// [`Shares::open`] then [`Shares::target`]: the share a request may use and the entry
    /// at `path` inside it.
    pub async fn resolve(
        &self,
        token: &str,
        proof: &Proof,
        path: Option<&str>,
    ) -> ShareResult<(OpenShare, Target)> {
        let open = self.open(token, proof).await?;
        let target = self.target(&open, path).await?;
        Ok((open, target))
    }

    /// The entry at `path` inside the share: the shared entry itself for no path (or `/`),
    /// else a live descendant of the shared folder. Anything else, including any `..`, `.`
    /// or empty segment, a backslash or a control character, is `NotFound`.
    pub async fn target(&self, open: &OpenShare, path: Option<&str>) -> ShareResult<Target> {
        let top = open.entry.clone();
        let Some(path) = path.filter(|p| !p.is_empty() && *p != "/") else {
            return Ok(Target {
                entry: top,
                path: "/".into(),
            });
        };
        let names = parse_path(path).map_err(|_| ShareError::NotFound)?;
        if !top.is_folder {
            return Err(ShareError::NotFound);
        }
        let rel = names.iter().fold(String::new(), |p, n| format!("{p}/{n}"));
        let entry = self
            .db
            .run(move |conn| {
                let (owner, folder) = (UserId(top.owner_id), EntryId(top.id));
                walk(conn, owner, Some(folder), &names)?.ok_or(ShareError::NotFound)
            })
            .await?;
        Ok(Target { entry, path: rel })
    }

    /// The listing below a folder of the share (paths relative to the share).
    pub async fn listing(&self, folder: &Target) -> ShareResult<Listing> {
        let root = folder.entry.id;
        let limit = MAX_ITEMS as i64 + 1;
        let (mut items, (_, size)) = self
            .db
            .run(move |conn| -> ShareResult<_> {
                let items = shares::subtree_items(conn, root, limit)?;
                Ok((items, shares::subtree_totals(conn, root)?))
            })
            .await?;
        let truncated = items.len() > MAX_ITEMS;
        items.truncate(MAX_ITEMS);
        if folder.path != "/" {
            for item in &mut items {
                item.path = format!("{}{}", folder.path, item.path);
            }
        }
        Ok(Listing {
            size,
            items,
            truncated,
        })
    }

    /// Counts a completed download; false when the share was revoked or its limit was
    /// reached by other downloads in the meantime (the caller then fails the transfer).
    pub async fn count_download(&self, share_id: i64) -> ShareResult<bool> {
        self.db
            .write(move |tx| Ok::<_, ShareError>(shares::count_download(tx, share_id)?))
            .await
    }

    /// The share, if it exists, is live and has not run out; no password check.
    async fn find(&self, token: &str) -> ShareResult<OpenShare> {
        let well_formed = !token.is_empty()
            && token.len() <= MAX_TOKEN_LEN
            && token
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
        if !well_formed {
            return Err(ShareError::NotFound);
        }
        let token = token.to_owned();
        let open = self
            .db
            .run(move |conn| -> ShareResult<OpenShare> {
                let share = shares::usable_by_token(conn, &token)?.ok_or(ShareError::NotFound)?;
                let entry = entries::live(conn, share.owner_id, share.entry_id)?
                    .ok_or(ShareError::NotFound)?;
                Ok(OpenShare { share, entry })
            })
            .await?;
        if is_spent(&open.share, now()) {
            return Err(ShareError::Expired);
        }
        Ok(open)
    }

    /// Verifies a presented password under the throttles: refused while the (share, IP) or
    /// the IP is over its failure limit, even when right; each failure counts for both.
    async fn verify(&self, share: i64, hash: &str, password: &str, ip: &str) -> ShareResult<()> {
        let share_key = format!("{share}|{ip}");
        self.per_share.check(&share_key)?;
        self.per_ip.check(ip)?;
        if self.passwords.verify(password, Some(hash)).await? {
            self.per_share.reset(&share_key);
            return Ok(());
        }
        self.per_share.record(&share_key);
        self.per_ip.record(ip);
        Err(ShareError::InvalidPassword)
    }

    /// `<share id>.<password version>.<expiry>.<HMAC>`: proof of the password for this
    /// share until the expiry or the next password change.
    fn cookie(&self, share: &ShareRecord, expires_at: i64) -> String {
        let claim = format!("{}.{}.{expires_at}", share.id, share.password_version);
        let mut mac = self.unlock_key.clone();
        mac.update(claim.as_bytes());
        let sig = URL_SAFE_NO_PAD.encode(mac.finalize().into_bytes());
        format!("{claim}.{sig}")
    }

    fn cookie_valid(&self, share: &ShareRecord, value: &str, now: i64) -> bool {
        let Some((claim, sig)) = value.rsplit_once('.') else {
            return false;
        };
        let Ok(sig) = URL_SAFE_NO_PAD.decode(sig) else {
            return false;
        };
        let mut mac = self.unlock_key.clone();
        mac.update(claim.as_bytes());
        if mac.verify_slice(&sig).is_err() {
            return false;
        }
        let fields: Vec<&str> = claim.split('.').collect();
        let expected = [share.id.to_string(), share.password_version.to_string()];
        match fields.as_slice() {
            [id, version, exp] => {
                *id == expected[0]
                    && *version == expected[1]
                    && exp.parse::<i64>().is_ok_and(|exp| exp > now)
            }
            _ => false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Config;
    use crate::db::Db;
    use crate::service::drive::Drive;
    use crate::service::passwords::Passwords;
    use crate::store::BlobStore;
    use std::sync::Arc;

    fn shares(dir: &std::path::Path) -> Result<Shares, crate::db::DbError> {
        let db = Db::open(&dir.join("t.db"))?;
        let store = Arc::new(BlobStore::new(
            dir.join("blobs"),
            dir.join("tmp"),
            dir.join("thumbs"),
        ));
        let drive = Arc::new(Drive::new(db.clone(), store, None, 30, &Default::default()));
        let config = Config::default();
        Ok(Shares::new(
            db,
            drive,
            Passwords::default(),
            &crate::secret::ServerSecret::new(*b"secret"),
            &config.auth,
        ))
    }

    fn record(id: i64, version: i64) -> ShareRecord {
        ShareRecord {
            id,
            token: "t".into(),
            owner_id: 1,
            entry_id: 1,
            password_hash: None,
            password_version: version,
            expires_at: None,
            max_downloads: None,
            downloads: 0,
            created_at: 0,
        }
    }

    #[test]
    fn an_unlock_cookie_holds_for_its_share_and_password_version_until_expiry(
    ) -> Result<(), Box<dyn std::error::Error>> {
        let dir = tempfile::tempdir()?;
        let shares = shares(dir.path())?;
        let cookie = shares.cookie(&record(7, 2), 1000);
        assert!(shares.cookie_valid(&record(7, 2), &cookie, 999));
        assert!(
            !shares.cookie_valid(&record(7, 2), &cookie, 1000),
            "expired"
        );
        assert!(
            !shares.cookie_valid(&record(8, 2), &cookie, 999),
            "other share"
        );
        assert!(
            !shares.cookie_valid(&record(7, 3), &cookie, 999),
            "new password"
        );
        let forged = cookie.replacen("1000", "9999", 1);
        assert!(
            !shares.cookie_valid(&record(7, 2), &forged, 999),
            "tampered"
        );
        assert!(!shares.cookie_valid(&record(7, 2), "7.2.1000", 999));
        assert!(!shares.cookie_valid(&record(7, 2), "", 999));
        Ok(())
    }
}
