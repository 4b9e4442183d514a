-- A delivery may carry its own body: one activity can then take a different shape per peer.
-- NULL (what fan-out writes) means the activity's `raw`, as before.
ALTER TABLE deliveries ADD COLUMN body jsonb;

-- Blocked domains are compared in normal form (lower case, no trailing dot); rows written
-- before that rule are brought to it, a duplicate it creates keeping the older reason.
DELETE FROM domain_blocks b
USING domain_blocks older
WHERE lower(rtrim(b.domain, '.')) = lower(rtrim(older.domain, '.'))
  AND b.domain <> older.domain
  AND (b.created_at, b.domain) > (older.created_at, older.domain);
UPDATE domain_blocks SET domain = lower(rtrim(domain, '.'))
WHERE domain <> lower(rtrim(domain, '.'));
