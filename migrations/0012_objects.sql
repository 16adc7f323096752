-- Blobs in an object store (SPEC §14). An object is written once under a random key while
-- it is hashed; its blob row maps the hash to that key (NULL: the local store, where the
-- path derives from the hash). Which store a blob is read from follows its row, not the
-- configured backend, so a migration between backends can stop halfway and resume.
ALTER TABLE blobs ADD COLUMN object_key TEXT;
CREATE UNIQUE INDEX blobs_object_key ON blobs (object_key) WHERE object_key IS NOT NULL;

-- Objects that may exist without a blob row naming them, each to be deleted or adopted:
--   * an upload's object: recorded before its first byte is sent, removed in the
--     transaction that makes it a blob (or once it is deleted as a duplicate). One older
--     than the grace period is an upload that died (a crash, a refused commit).
--   * a released blob's object (created_at 0): recorded by the trigger below in the
--     transaction that deletes the blob row, removed once the object is deleted. A crash
--     between the commit and the deletion leaves the row for the sweeper.
CREATE TABLE object_intents (
    key        TEXT    PRIMARY KEY,
    created_at INTEGER NOT NULL
);

CREATE TRIGGER blobs_object_released AFTER DELETE ON blobs
WHEN OLD.object_key IS NOT NULL
BEGIN
    INSERT OR REPLACE INTO object_intents (key, created_at) VALUES (OLD.object_key, 0);
END;
