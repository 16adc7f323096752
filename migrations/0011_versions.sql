-- Versions (SPEC §13): when a file's content is replaced, the old content stays as a row
-- pointing at its blob. The reference moves from the entry to the version, so no byte is
-- copied and `blobs.refs` counts entries and versions together.
--
-- No cascades on purpose: purging a file or deleting a user must release its versions'
-- blob references and bytes first, and a forgotten path fails on the foreign key instead
-- of leaking references.
CREATE TABLE file_versions (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    entry_id    INTEGER NOT NULL REFERENCES entries (id),
    owner_id    INTEGER NOT NULL REFERENCES users (id),
    sha256      TEXT    NOT NULL REFERENCES blobs (sha256),
    size        INTEGER NOT NULL CHECK (size >= 0),
    mime_type   TEXT,
    -- The content's modification time, as the entry had it.
    modified_at INTEGER NOT NULL,
    -- Who wrote that content and through which door (NULL: before Hoard recorded it).
    uploaded_by INTEGER,
    source      TEXT,
    -- When it stopped being the current content.
    created_at  INTEGER NOT NULL
);
CREATE INDEX file_versions_entry ON file_versions (entry_id, id);
-- Quota pressure drops a user's oldest versions first; the sweeper finds old ones.
CREATE INDEX file_versions_owner ON file_versions (owner_id, id);
CREATE INDEX file_versions_age ON file_versions (created_at);
CREATE INDEX file_versions_blob ON file_versions (sha256);

-- Who wrote the current content and through which door, carried into its version when
-- it is replaced. Copies keep them (the same content).
ALTER TABLE entries ADD COLUMN uploaded_by INTEGER;
ALTER TABLE entries ADD COLUMN content_source TEXT;

-- How many versions a file has, kept exact by triggers (it cannot drift from the rows),
-- so a listing shows it without a subquery per row. Changing it updates the entry, which
-- moves the owner's tree version: cached listings follow.
ALTER TABLE entries ADD COLUMN version_count INTEGER NOT NULL DEFAULT 0;

CREATE TRIGGER file_versions_counted AFTER INSERT ON file_versions BEGIN
  UPDATE entries SET version_count = version_count + 1 WHERE id = NEW.entry_id;
END;

CREATE TRIGGER file_versions_uncounted AFTER DELETE ON file_versions BEGIN
  UPDATE entries SET version_count = version_count - 1 WHERE id = OLD.entry_id;
END;
