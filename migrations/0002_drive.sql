-- The drive: content-addressed blobs and each user's tree of entries.

-- One row per distinct content. `refs` counts the entries (trash included) that use it;
-- a blob at 0 refs is deleted (row first, file after commit).
CREATE TABLE blobs (
    sha256      TEXT    PRIMARY KEY,
    size        INTEGER NOT NULL CHECK (size >= 0),
    refs        INTEGER NOT NULL CHECK (refs >= 0),
    created_at  INTEGER NOT NULL
);

-- Files and folders. A trashed subtree keeps its shape; every entry in it carries the id
-- of the trashed top entry in `trash_root`, so "live" is simply `trash_root IS NULL`.
-- The trashed top entry itself is detached (parent_id NULL) and remembers where it was in
-- `original_parent_id`, so purging another trash item can never cascade into it.
CREATE TABLE entries (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    owner_id        INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    parent_id       INTEGER REFERENCES entries (id) ON DELETE CASCADE,
    name            TEXT    NOT NULL,
    kind            TEXT    NOT NULL CHECK (kind IN ('file', 'folder')),
    size            INTEGER NOT NULL DEFAULT 0 CHECK (size >= 0),
    sha256          TEXT    REFERENCES blobs (sha256),
    mime_type       TEXT,
    created_at      INTEGER NOT NULL,
    updated_at      INTEGER NOT NULL,
    trash_root      INTEGER,
    deleted_at      INTEGER,
    original_parent_id INTEGER,
    original_path   TEXT,
    CHECK ((kind = 'file') = (sha256 IS NOT NULL))
);
-- Names are unique among the live children of a folder (the root is parent 0 here).
CREATE UNIQUE INDEX entries_live_name ON entries (owner_id, ifnull(parent_id, 0), name)
    WHERE trash_root IS NULL;
-- Listing a folder: folders first, then by name.
CREATE INDEX entries_listing ON entries (owner_id, parent_id, kind DESC, name);
CREATE INDEX entries_parent ON entries (parent_id);
CREATE INDEX entries_trash ON entries (owner_id, trash_root);
CREATE INDEX entries_blob ON entries (sha256);
