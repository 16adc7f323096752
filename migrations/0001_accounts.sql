-- Accounts, sessions and tokens. Times are unix seconds (UTC).
-- Ids that a token can name use AUTOINCREMENT: a deleted user's or session's id is never
-- handed out again, so an old token can never come to mean someone else.

CREATE TABLE users (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    username        TEXT    NOT NULL,
    email           TEXT    NOT NULL,
    password_hash   TEXT    NOT NULL,
    display_name    TEXT    NOT NULL,
    bio             TEXT    NOT NULL DEFAULT '',
    role            TEXT    NOT NULL DEFAULT 'user' CHECK (role IN ('user', 'admin')),
    is_active       INTEGER NOT NULL DEFAULT 1 CHECK (is_active IN (0, 1)),
    storage_used    INTEGER NOT NULL DEFAULT 0 CHECK (storage_used >= 0),
    storage_quota   INTEGER CHECK (storage_quota IS NULL OR storage_quota >= 0),
    created_at      INTEGER NOT NULL,
    updated_at      INTEGER NOT NULL,
    last_login_at   INTEGER
);
-- Usernames are ASCII, so NOCASE is a complete case fold; emails are stored lower-cased.
CREATE UNIQUE INDEX users_username_key ON users (username COLLATE NOCASE);
CREATE UNIQUE INDEX users_email_key ON users (email COLLATE NOCASE);

-- Avatars are small re-encoded PNGs; keeping them in the database makes them go with the user.
CREATE TABLE avatars (
    user_id     INTEGER PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
    image       BLOB    NOT NULL,
    updated_at  INTEGER NOT NULL
);

-- A session is a refresh-token family: one login and every token rotated from it.
CREATE TABLE sessions (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    user_id       INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at    INTEGER NOT NULL,
    last_used_at  INTEGER NOT NULL,
    expires_at    INTEGER NOT NULL,
    user_agent    TEXT    NOT NULL DEFAULT '',
    ip            TEXT    NOT NULL DEFAULT '',
    revoked_at    INTEGER
);
CREATE INDEX sessions_user ON sessions (user_id);

-- Every refresh token ever issued, by jti; `used_at` makes rotation a single atomic UPDATE.
CREATE TABLE refresh_tokens (
    jti         TEXT    PRIMARY KEY,
    session_id  INTEGER NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,
    issued_at   INTEGER NOT NULL,
    expires_at  INTEGER NOT NULL,
    used_at     INTEGER
);
CREATE INDEX refresh_tokens_session ON refresh_tokens (session_id);
CREATE INDEX refresh_tokens_expiry ON refresh_tokens (expires_at);

-- Personal API tokens; only the sha256 of the secret is kept. Revoked rows stay (so a
-- revoked token answers `token_revoked`) until they would have expired, or for 30 days.
CREATE TABLE api_tokens (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    -- NULL once the owner is deleted: the row stays (revoked) so the token answers
    -- `token_revoked`, and is purged with the other revoked rows.
    user_id       INTEGER REFERENCES users (id) ON DELETE SET NULL,
    name          TEXT    NOT NULL,
    token_hash    TEXT    NOT NULL UNIQUE,
    created_at    INTEGER NOT NULL,
    expires_at    INTEGER,
    last_used_at  INTEGER,
    revoked_at    INTEGER
);
CREATE INDEX api_tokens_user ON api_tokens (user_id);

-- The blacklist: access-token ids revoked before they expire. Purged once expired.
CREATE TABLE revoked_tokens (
    jti         TEXT    PRIMARY KEY,
    expires_at  INTEGER NOT NULL
);
CREATE INDEX revoked_tokens_expiry ON revoked_tokens (expires_at);
