-- Share links (SPEC §7): a public, unguessable token that opens one file or folder of its
-- owner's tree. A share is bound to the entry id, not to a path: it follows renames and
-- moves, answers 404 while the entry is in the trash, and goes with the entry (or the
-- owner) when that is deleted for good.
CREATE TABLE shares (
    id               INTEGER PRIMARY KEY AUTOINCREMENT,
    -- 192 random bits, base64url. Kept in clear so the owner can copy the link again.
    token            TEXT    NOT NULL UNIQUE,
    owner_id         INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    entry_id         INTEGER NOT NULL REFERENCES entries (id) ON DELETE CASCADE,
    -- argon2id PHC string; NULL: no password.
    password_hash    TEXT,
    -- Bumped on every password change, so unlock cookies of an older password stop working.
    password_version INTEGER NOT NULL DEFAULT 0,
    expires_at       INTEGER,
    max_downloads    INTEGER CHECK (max_downloads IS NULL OR max_downloads > 0),
    downloads        INTEGER NOT NULL DEFAULT 0 CHECK (downloads >= 0),
    created_at       INTEGER NOT NULL
);
CREATE INDEX shares_owner ON shares (owner_id, id);
CREATE INDEX shares_entry ON shares (entry_id);
