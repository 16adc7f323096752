-- Single sign-on (SPEC §12): which account an OpenID Connect identity signs in to, and the
-- sign-ins under way (between the redirect to the provider and its redirect back).

-- An identity is the provider's (issuer, sub) pair: `sub` is unique only within its issuer.
-- Deleting the account deletes its links.
CREATE TABLE oidc_identities (
    issuer      TEXT    NOT NULL,
    subject     TEXT    NOT NULL,
    user_id     INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    provider    TEXT    NOT NULL,
    created_at  INTEGER NOT NULL,
    PRIMARY KEY (issuer, subject)
);
CREATE INDEX oidc_identities_user ON oidc_identities (user_id);

-- A sign-in started by `/auth/oidc/{id}/start`, keyed by its `state` (also the value of the
-- browser's short-lived cookie). The callback deletes the row as it reads it, so a state,
-- and with it the authorization code sent beside it, is used once.
CREATE TABLE oidc_logins (
    state          TEXT    PRIMARY KEY,
    provider       TEXT    NOT NULL,
    nonce          TEXT    NOT NULL,
    pkce_verifier  TEXT    NOT NULL,
    redirect_uri   TEXT    NOT NULL,
    next           TEXT    NOT NULL,
    expires_at     INTEGER NOT NULL
);

-- Accounts made by single sign-on have no password: an empty hash, which no password
-- matches (`users.password_hash` stays NOT NULL).
