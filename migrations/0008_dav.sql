-- WebDAV (SPEC §11): write locks and dead properties, kept here so they survive a restart.

-- A lock is on a path of one user's tree (RFC 4918 locks name URLs, and a lock on an
-- unmapped URL is legal), not on an entry. `path` is `/a/b` with the names as stored;
-- `deep` is Depth: infinity. Expired rows are ignored and deleted lazily.
CREATE TABLE dav_locks (
    token       TEXT    PRIMARY KEY,
    owner_id    INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    path        TEXT    NOT NULL,
    deep        INTEGER NOT NULL CHECK (deep IN (0, 1)),
    shared      INTEGER NOT NULL CHECK (shared IN (0, 1)),
    holder      TEXT    NOT NULL DEFAULT '',
    timeout_s   INTEGER NOT NULL,
    expires_at  INTEGER NOT NULL,
    created_at  INTEGER NOT NULL
);
CREATE INDEX dav_locks_path ON dav_locks (owner_id, path);

-- Dead properties set by PROPPATCH: `value` is the property's content as a self-contained
-- XML fragment (every element declares its own namespace). They go with the entry: kept
-- through moves, renames and the trash, gone when it is purged.
CREATE TABLE dav_props (
    entry_id    INTEGER NOT NULL REFERENCES entries (id) ON DELETE CASCADE,
    ns          TEXT    NOT NULL,
    name        TEXT    NOT NULL,
    value       TEXT    NOT NULL,
    PRIMARY KEY (entry_id, ns, name)
) WITHOUT ROWID;
