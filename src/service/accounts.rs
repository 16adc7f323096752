//! Accounts: creation (registration, admin, CLI), lookup and the user's own profile.
//! Admin management, API tokens and avatars extend `Accounts` in their own modules.

use std::collections::BTreeMap;
use std::sync::Arc;

use rusqlite::Connection;

use crate::db::users::{NewUser, ProfileUpdate, UserRecord, ROLE_ADMIN, ROLE_USER};
use crate::db::{self, now, Db, DbError};
use crate::ids::UserId;

use super::cache::Caches;
use super::drive::Drive;
use super::passwords::{check_strength, Passwords};
use super::validate::{self, Email, Username};
use super::{AccountError, AccountResult, Principal};

/// Input for a new account, as it arrives.
#[derive(Debug, Clone, Default)]
pub struct NewAccount {
    pub username: String,
    pub email: String,
    pub password: String,
    pub password_confirm: Option<String>,
    pub display_name: Option<String>,
    /// Only honoured for admin- and CLI-created accounts.
    pub admin: bool,
    pub storage_quota: Option<i64>,
}

/// Changes to one's own profile; `None` leaves a field as it is.
#[derive(Debug, Clone, Default)]
pub struct ProfileChanges {
    pub username: Option<String>,
    pub email: Option<String>,
    pub display_name: Option<String>,
    pub bio: Option<String>,
}

pub struct Accounts {
    pub(super) db: Db,
    pub(super) caches: Arc<Caches>,
    /// Deleting a user releases their files' blobs.
    pub(super) drive: Arc<Drive>,
    passwords: Passwords,
}

/// Whether the account's role comes from the request or from the first-account rule.
enum RoleSource {
    FirstIsAdmin,
    Given,
}

impl Accounts {
    pub fn new(db: Db, caches: Arc<Caches>, drive: Arc<Drive>) -> Self {
        Self {
            db,
            caches,
            drive,
            passwords: Passwords::default(),
        }
    }

    pub fn passwords(&self) -> &Passwords {
        &self.passwords
    }

    /// Self-service registration: any requested role is ignored; the first account ever
    /// created becomes admin (decided inside the insert's transaction).
    pub async fn register(&self, account: NewAccount) -> AccountResult<UserRecord> {
        self.create_with(
            NewAccount {
                admin: false,
                storage_quota: None,
                ..account
            },
            RoleSource::FirstIsAdmin,
        )
        .await
    }

    /// Creation by an admin or the CLI: the role is as given.
    pub async fn create(&self, account: NewAccount) -> AccountResult<UserRecord> {
        self.create_with(account, RoleSource::Given).await
    }

    async fn create_with(
        &self,
        account: NewAccount,
        source: RoleSource,
    ) -> AccountResult<UserRecord> {
        let (username, email, display_name) = validate_new(&account)?;
        check_strength(&account.password, username.as_str(), email.as_str())?;
        let hash = self.passwords.hash(&account.password).await?;
        let quota = account.storage_quota;
        let requested_admin = account.admin;
        self.db
            .write(move |tx| -> AccountResult<UserRecord> {
                let admin = match source {
                    RoleSource::FirstIsAdmin => db::users::count(tx)? == 0,
                    RoleSource::Given => requested_admin,
                };
                let new = NewUser {
                    username: username.as_str(),
                    email: email.as_str(),
                    password_hash: &hash,
                    display_name: &display_name,
                    role: if admin { ROLE_ADMIN } else { ROLE_USER },
                    storage_quota: quota,
                };
                let id = db::users::insert(tx, &new, now()).map_err(unique_to_taken)?;
                load(tx, UserId(id))
            })
            .await
    }

    /// A fresh read of one user.
    pub async fn get(&self, id: UserId) -> AccountResult<UserRecord> {
        self.db
            .run(move |conn| db::users::by_id(conn, id.0))
            .await?
            .ok_or(AccountError::NotFound)
    }

    /// A user through the cache (for per-request checks).
    pub async fn cached_user(&self, id: UserId) -> AccountResult<Option<Arc<UserRecord>>> {
        let db = self.db.clone();
        let loaded = self
            .caches
            .users
            .get_or_load(id, || async move {
                let user = db.run(move |conn| db::users::by_id(conn, id.0)).await?;
                Ok::<_, DbError>(user.map(Arc::new))
            })
            .await?;
        Ok(loaded)
    }

    /// Updates the caller's own profile; `role`, quota and activation are not reachable here.
    pub async fn update_profile(
        &self,
        principal: &Principal,
        changes: ProfileChanges,
    ) -> AccountResult<UserRecord> {
        let changes = changes.validated()?;
        let id = principal.id();
        let user = self
            .db
            .write(move |tx| -> AccountResult<UserRecord> {
                // Read inside the transaction: concurrent edits of different fields both land.
                let current = load(tx, id)?;
                let update = ProfileUpdate {
                    username: changes.username.unwrap_or(current.username),
                    email: changes.email.unwrap_or(current.email),
                    display_name: changes.display_name.unwrap_or(current.display_name),
                    bio: changes.bio.unwrap_or(current.bio),
                };
                db::users::update_profile(tx, id.0, &update, now()).map_err(unique_to_taken)?;
                load(tx, id)
            })
            .await?;
        self.caches.users.invalidate(&id);
        Ok(user)
    }

    /// Sets a password without knowing the old one (CLI `user passwd`), ending all sessions.
    pub async fn reset_password(
        &self,
        username: &str,
        password: &str,
    ) -> AccountResult<UserRecord> {
        let name = username.to_owned();
        let user = self
            .db
            .run(move |conn| db::users::by_username(conn, &name))
            .await?
            .ok_or(AccountError::NotFound)?;
        check_strength(password, &user.username, &user.email)?;
        let hash = self.passwords.hash(password).await?;
        let id = user.id;
        let sessions = self
            .db
            .write(move |tx| -> AccountResult<Vec<i64>> {
                db::users::set_password_hash(tx, id, &hash, now())?;
                Ok(db::sessions::revoke_all_for_user(tx, id, now())?)
            })
            .await?;
        self.forget(UserId(id), &sessions);
        Ok(user)
    }

    pub async fn all(&self) -> AccountResult<Vec<UserRecord>> {
        Ok(self.db.run(db::users::all).await?)
    }

    /// Drops cached state for a user and the given sessions after a write.
    pub(super) fn forget(&self, user_id: UserId, sessions: &[i64]) {
        self.caches.users.invalidate(&user_id);
        for id in sessions {
            self.caches.sessions.invalidate(id);
        }
    }
}

impl ProfileChanges {
    /// Validates every field that is present, reporting all problems at once.
    fn validated(self) -> AccountResult<Self> {
        let mut errors = BTreeMap::new();
        let mut check = |value: Option<String>, parse: fn(&str) -> AccountResult<String>| {
            match parse(&value?) {
                Ok(valid) => Some(valid),
                Err(AccountError::Validation(fields)) => {
                    errors.extend(fields);
                    None
                }
                Err(_) => None,
            }
        };
        let valid = Self {
            username: check(self.username, |s| {
                Ok(Username::parse(s)?.as_str().to_owned())
            }),
            email: check(self.email, |s| Ok(Email::parse(s)?.as_str().to_owned())),
            display_name: check(self.display_name, validate::display_name),
            bio: check(self.bio, validate::bio),
        };
        if errors.is_empty() {
            Ok(valid)
        } else {
            Err(AccountError::Validation(errors))
        }
    }
}

fn validate_new(account: &NewAccount) -> AccountResult<(Username, Email, String)> {
    let mut errors = BTreeMap::new();
    let mut collect = |error: AccountError| {
        if let AccountError::Validation(fields) = error {
            errors.extend(fields);
        }
    };
    let username = Username::parse(&account.username)
        .map_err(&mut collect)
        .ok();
    let email = Email::parse(&account.email).map_err(&mut collect).ok();
    let display = account.display_name.as_deref().unwrap_or(&account.username);
    let display_name = validate::display_name(display).map_err(&mut collect).ok();
    if account
        .password_confirm
        .as_ref()
        .is_some_and(|confirm| confirm != &account.password)
    {
        collect(AccountError::field(
            "password_confirm",
            "does not match password",
        ));
    }
    if let Some(quota) = account.storage_quota.filter(|q| *q < 0) {
        collect(AccountError::field(
            "storage_quota",
            format!("{quota} is negative"),
        ));
    }
    match (username, email, display_name) {
        (Some(u), Some(e), Some(d)) if errors.is_empty() => Ok((u, e, d)),
        _ => Err(AccountError::Validation(errors)),
    }
}

/// Turns a unique-index violation on users into the SPEC's conflict codes.
pub(super) fn unique_to_taken(error: DbError) -> AccountError {
    if error.violates("users.username") || error.violates("users_username_key") {
        AccountError::UsernameTaken
    } else if error.violates("users.email") || error.violates("users_email_key") {
        AccountError::EmailTaken
    } else {
        AccountError::Db(error)
    }
}

pub(super) fn load(conn: &Connection, id: UserId) -> AccountResult<UserRecord> {
    db::users::by_id(conn, id.0)?.ok_or(AccountError::NotFound)
}
