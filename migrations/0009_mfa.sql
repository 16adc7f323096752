-- Two-step sign-in (SPEC §12): a TOTP secret per account, its recovery codes, and the
-- pending second steps of logins whose password was right.

-- `secret` is sealed (XChaCha20-Poly1305, nonce first) under a key derived from the server
-- secret; never stored in clear. `enabled_at` NULL: set up, waiting for its first code.
-- `last_step` is the newest 30-s step accepted, so a code is never accepted twice.
CREATE TABLE user_totp (
    user_id     INTEGER PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
    secret      BLOB    NOT NULL,
    enabled_at  INTEGER,
    last_step   INTEGER NOT NULL DEFAULT 0,
    created_at  INTEGER NOT NULL
);

-- Ten single-use codes; `lookup` is a code's first four characters (so one Argon2
-- verification, not ten, checks a code) and `hash` the Argon2id hash of the whole code.
CREATE TABLE recovery_codes (
    id          INTEGER PRIMARY KEY,
    user_id     INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    lookup      TEXT    NOT NULL,
    hash        TEXT    NOT NULL,
    used_at     INTEGER
);
CREATE INDEX recovery_codes_user ON recovery_codes (user_id, lookup);

-- A login waiting for its second step: the sha256 of the `mfa_token` handed out, single
-- use (`used_at`), alive five minutes.
CREATE TABLE mfa_challenges (
    token_hash  TEXT    PRIMARY KEY,
    user_id     INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    expires_at  INTEGER NOT NULL,
    used_at     INTEGER
);
CREATE INDEX mfa_challenges_expiry ON mfa_challenges (expires_at);
