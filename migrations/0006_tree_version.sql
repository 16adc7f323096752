-- A counter per user that moves with every change to that user's entries, whoever makes
-- it (the server, `hoard check --repair`, a future tool): serialized folder listings are
-- reused only while it stands still (src/api/listing_cache.rs).
ALTER TABLE users ADD COLUMN tree_version INTEGER NOT NULL DEFAULT 0;

CREATE TRIGGER entries_insert_version AFTER INSERT ON entries BEGIN
  UPDATE users SET tree_version = tree_version + 1 WHERE id = NEW.owner_id;
END;

CREATE TRIGGER entries_update_version AFTER UPDATE ON entries BEGIN
  UPDATE users SET tree_version = tree_version + 1 WHERE id = NEW.owner_id;
END;

CREATE TRIGGER entries_delete_version AFTER DELETE ON entries BEGIN
  UPDATE users SET tree_version = tree_version + 1 WHERE id = OLD.owner_id;
END;
