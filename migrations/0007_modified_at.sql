-- `modified_at`: the content's modification time as the client knows it (unix seconds),
-- beside `updated_at`, the server's own time of the entry's last change. An upload sets it
-- to the time the client sent (tus `mtime`, WebDAV `X-OC-Mtime`) or else to the upload
-- time; a replacement sets it again; copies keep it; a rename, move, trash or restore
-- leaves it alone. A folder's is its creation time unless a client sets it. Byte routes
-- answer it as `Last-Modified`. Existing entries start from `updated_at`, the best
-- approximation they have.
ALTER TABLE entries ADD COLUMN modified_at INTEGER NOT NULL DEFAULT 0;

-- The backfill touches every row: without its trigger (one `users` update per row on a
-- drive of a million entries), then every tree version moves once.
DROP TRIGGER entries_update_version;
UPDATE entries SET modified_at = updated_at;
CREATE TRIGGER entries_update_version AFTER UPDATE ON entries BEGIN
  UPDATE users SET tree_version = tree_version + 1 WHERE id = NEW.owner_id;
END;
UPDATE users SET tree_version = tree_version + 1;

-- A resumable upload's `mtime` metadata, applied to the file it commits (NULL: the commit time).
ALTER TABLE uploads ADD COLUMN modified_at INTEGER;
