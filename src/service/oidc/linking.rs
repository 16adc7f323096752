//! Which account a checked identity signs in to (SPEC §12), decided in one transaction so
//! that a refusal leaves nothing behind: the account linked to `(issuer, sub)`; at a first
//! sign-in, the account with the same verified email (`link_by_email`) or a new one
//! (`auto_create`); then the admin role from `admin_group`, never taking it from the last
//! active admin.

use rusqlite::Transaction;
use serde_json::Value;

use super::provider::Claims;
use super::OidcError;
use crate::config::OidcProvider;
use crate::db::users::{AdminUpdate, NewUser, UserRecord, NO_PASSWORD, ROLE_ADMIN, ROLE_USER};
use crate::db::{self};
use crate::service::validate::{self, username_char, Email, Username, USERNAME_CHARS};

/// Who the provider says signed in.
#[derive(Debug, Clone, Default)]
pub struct Identity {
    pub issuer: String,
    pub subject: String,
    /// Lower-cased, when the provider sent a valid one.
    pub email: Option<String>,
    pub email_verified: bool,
    pub preferred_username: Option<String>,
    pub name: Option<String>,
    pub groups: Vec<String>,
}

impl Identity {
    pub fn from_claims(claims: &Claims, groups_claim: &str) -> Self {
        let text = |name: &str| claims.other.get(name).and_then(Value::as_str);
        let groups = match claims.other.get(groups_claim) {
            Some(Value::Array(items)) => items
                .iter()
                .filter_map(|g| g.as_str().map(str::to_owned))
                .collect(),
            Some(Value::String(one)) => vec![one.clone()],
            _ => Vec::new(),
        };
        // Some providers send the boolean as a string.
        let email_verified = matches!(claims.other.get("email_verified"), Some(Value::Bool(true)))
            || text("email_verified") == Some("true");
        Self {
            issuer: claims.iss.clone(),
            subject: claims.sub.clone(),
            email: text("email")
                .and_then(|e| Email::parse(e).ok())
                .map(|e| e.as_str().to_owned()),
            email_verified,
            preferred_username: text("preferred_username").map(str::to_owned),
            name: text("name").map(str::to_owned),
            groups,
        }
    }

    /// The email, if the provider vouches for it.
    fn verified_email(&self) -> Option<&str> {
        self.email.as_deref().filter(|_| self.email_verified)
    }
}

/// The account `identity` signs in to, linked or created as the provider's rules allow,
/// with its role brought in line with `admin_group`.
pub fn resolve(
    tx: &Transaction,
    provider: &OidcProvider,
    identity: &Identity,
    now: i64,
) -> Result<UserRecord, OidcError> {
    check_domain(provider, identity)?;
    let linked = db::oidc::linked_user(tx, &identity.issuer, &identity.subject)?;
    let user_id = match linked {
        Some(id) => id,
        None => first_sign_in(tx, provider, identity, now)?,
    };
    let user = load(tx, user_id)?;
    if !user.is_active {
        return Err(OidcError::AccountDisabled);
    }
    sync_role(tx, provider, identity, &user, now)?;
    load(tx, user_id)
}

fn check_domain(provider: &OidcProvider, identity: &Identity) -> Result<(), OidcError> {
    if provider.allowed_domains.is_empty() {
        return Ok(());
    }
    let domain = identity
        .verified_email()
        .and_then(|email| email.rsplit_once('@'))
        .map(|(_, domain)| domain);
    let allowed = domain.is_some_and(|domain| {
        provider
            .allowed_domains
            .iter()
            .any(|d| d.trim_start_matches('@').eq_ignore_ascii_case(domain))
    });
    if allowed {
        Ok(())
    } else {
        Err(OidcError::Refused(
            "no verified email in an allowed domain".into(),
        ))
    }
}

/// Links an unknown identity to an account, by verified email or by creating one.
fn first_sign_in(
    tx: &Transaction,
    provider: &OidcProvider,
    identity: &Identity,
    now: i64,
) -> Result<i64, OidcError> {
    let Some(email) = identity.verified_email() else {
        return Err(OidcError::Refused(
            "a first sign-in needs a verified email".into(),
        ));
    };
    let existing = db::users::by_login(tx, email)?.filter(|u| u.email == email);
    let user_id = match existing {
        Some(user) if provider.link_by_email => user.id,
        Some(_) => {
            return Err(OidcError::Refused(
                "the email belongs to an account and link_by_email is off".into(),
            ))
        }
        None if provider.auto_create => create(tx, identity, email, now)?,
        None => {
            return Err(OidcError::Refused(
                "no linked account and auto_create is off".into(),
            ))
        }
    };
    db::oidc::link(
        tx,
        &identity.issuer,
        &identity.subject,
        user_id,
        &provider.id,
        now,
    )?;
    Ok(user_id)
}

/// A new account without a password; the first account of an instance is its admin.
fn create(tx: &Transaction, identity: &Identity, email: &str, now: i64) -> Result<i64, OidcError> {
    let wanted = identity
        .preferred_username
        .as_deref()
        .or_else(|| email.split('@').next())
        .unwrap_or_default();
    let username = unique_username(tx, wanted)?;
    let display_name = identity
        .name
        .as_deref()
        .and_then(|name| validate::display_name(name).ok())
        .unwrap_or_else(|| username.clone());
    let admin = db::users::count(tx)? == 0;
    let new = NewUser {
        username: &username,
        email,
        password_hash: NO_PASSWORD,
        display_name: &display_name,
        role: if admin { ROLE_ADMIN } else { ROLE_USER },
        storage_quota: None,
    };
    Ok(db::users::insert(tx, &new, now)?)
}

/// `wanted` made a valid username (SPEC §4) that nobody has: characters outside
/// `A-Z a-z 0-9 _ . -` dropped (spaces become `_`), at most 32 characters, at least 3,
/// and a `-2`, `-3`, … suffix while it is taken.
pub fn unique_username(tx: &Transaction, wanted: &str) -> Result<String, OidcError> {
    let (min, max) = USERNAME_CHARS;
    let mut base: String = wanted
        .chars()
        .map(|c| if c.is_whitespace() { '_' } else { c })
        .filter(|c| username_char(*c))
        .take(max)
        .collect();
    if base.len() < min {
        base = format!("{base}user");
    }
    for n in 1..1000u32 {
        let suffix = if n == 1 {
            String::new()
        } else {
            format!("-{n}")
        };
        let head: String = base.chars().take(max - suffix.len()).collect();
        let candidate = format!("{head}{suffix}");
        let valid = Username::parse(&candidate).is_ok();
        if valid && db::users::by_username(tx, &candidate)?.is_none() {
            return Ok(candidate);
        }
    }
    Err(OidcError::Refused("no free username".into()))
}

/// Makes the account admin when the identity is in `admin_group`, a user when it is not
/// (unless it is the last active admin). Without an `admin_group` roles are left alone.
fn sync_role(
    tx: &Transaction,
    provider: &OidcProvider,
    identity: &Identity,
    user: &UserRecord,
    now: i64,
) -> Result<(), OidcError> {
    if provider.admin_group.is_empty() {
        return Ok(());
    }
    let member = identity.groups.contains(&provider.admin_group);
    let role = match (member, user.is_admin()) {
        (true, false) => ROLE_ADMIN,
        (false, true) if db::users::count_other_active_admins(tx, user.id)? > 0 => ROLE_USER,
        (false, true) => {
            tracing::warn!(
                user_id = user.id,
                "not in the OIDC admin group, but the last active admin: stays admin"
            );
            return Ok(());
        }
        _ => return Ok(()),
    };
    let update = AdminUpdate {
        role: role.into(),
        is_active: user.is_active,
        storage_quota: user.storage_quota,
    };
    db::users::update_admin_fields(tx, user.id, &update, now)?;
    Ok(())
}

fn load(tx: &Transaction, id: i64) -> Result<UserRecord, OidcError> {
    db::users::by_id(tx, id)?.ok_or(OidcError::Refused("the account is gone".into()))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    fn claims(value: serde_json::Value) -> Claims {
        serde_json::from_value(value).unwrap()
    }

    #[test]
    fn identity_reads_the_standard_claims_and_a_configured_groups_claim() {
        let identity = Identity::from_claims(
            &claims(serde_json::json!({
                "iss": "https://id.example", "sub": "42", "email": " Ada@Example.COM ",
                "email_verified": "true", "preferred_username": "ada", "name": "Ada L",
                "roles": ["a", 7, "b"],
            })),
            "roles",
        );
        assert_eq!(identity.subject, "42");
        assert_eq!(identity.email.as_deref(), Some("ada@example.com"));
        assert!(identity.email_verified);
        assert_eq!(identity.groups, ["a", "b"]);
        let bare = Identity::from_claims(
            &claims(
                serde_json::json!({"iss": "i", "sub": "s", "email": "not an email",
                                       "email_verified": 1, "groups": "solo"}),
            ),
            "groups",
        );
        assert_eq!(bare.verified_email(), None);
        assert_eq!((bare.email, bare.email_verified), (None, false));
        assert_eq!(bare.groups, ["solo"]);
    }
}
