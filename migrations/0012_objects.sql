-- Blobs in an object store (SPEC §14). An object is written once under a random key while
-- it is hashed; its blob row maps the hash to that key (NULL: the local store, where the
-- path derives from the hash).
ALTER TABLE blobs ADD COLUMN object_key TEXT;
CREATE UNIQUE INDEX blobs_object_key ON blobs (object_key) WHERE object_key IS NOT NULL;

-- Objects being written: recorded before the first byte is sent, removed in the transaction
-- that makes the object a blob, or once a duplicate is deleted. An intent older than the
-- grace period is an upload that died (a crash, a refused commit): the sweeper deletes its
-- object and aborts what is left of its parts.
CREATE TABLE object_intents (
    key        TEXT    PRIMARY KEY,
    created_at INTEGER NOT NULL
);
