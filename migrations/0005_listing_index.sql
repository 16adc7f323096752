-- Listing a folder reads one page straight off this index, in the listing's default order
-- (folders first, then names ignoring case), and counts its children without touching
-- the rest of the owner's tree. The old index was BINARY-ordered, so every page sorted the
-- whole folder, and the count was planned on `entries_trash` (every live entry of the
-- owner). Measured by bench/ on a 100,000-entry folder: first page 42 → 6.8 ms of server
-- CPU; a 100-entry folder 28.9 → 0.59 ms.
DROP INDEX entries_listing;
CREATE INDEX entries_listing
    ON entries (owner_id, parent_id, kind DESC, name COLLATE NOCASE, name, id)
    WHERE trash_root IS NULL;
