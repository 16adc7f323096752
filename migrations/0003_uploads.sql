-- Resumable (tus) uploads: one row per upload, its bytes in `tmp/uploads/<id>` until the
-- last byte arrives and the file is committed into the drive like any other upload.
CREATE TABLE uploads (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    owner_id    INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    name        TEXT    NOT NULL,
    -- The target folder; not a foreign key: it may be deleted meanwhile, which the commit
    -- then reports as `not_found`.
    parent_id   INTEGER,
    on_conflict TEXT    NOT NULL CHECK (on_conflict IN ('rename', 'overwrite', 'fail')),
    size        INTEGER NOT NULL CHECK (size >= 0),
    received    INTEGER NOT NULL DEFAULT 0 CHECK (received >= 0 AND received <= size),
    -- The raw `Upload-Metadata` header, echoed on HEAD as tus asks.
    metadata    TEXT    NOT NULL DEFAULT '',
    status      TEXT    NOT NULL DEFAULT 'pending'
                        CHECK (status IN ('pending', 'uploading', 'completed', 'failed')),
    error       TEXT,
    file_id     INTEGER REFERENCES entries (id) ON DELETE SET NULL,
    created_at  INTEGER NOT NULL,
    updated_at  INTEGER NOT NULL,
    expires_at  INTEGER NOT NULL
);
CREATE INDEX uploads_owner ON uploads (owner_id, id);
CREATE INDEX uploads_open ON uploads (expires_at) WHERE status IN ('pending', 'uploading');
