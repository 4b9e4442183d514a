-- A territory that relays (a circle) announces to its own followers what the territories it
-- follows publish (docs/decisions.md, "A circle re-shares").
ALTER TABLE actors ADD COLUMN relays boolean NOT NULL DEFAULT false;

-- The actor that announced a remote object to us, shown as "via" beside the object's author;
-- the object itself is stored once, whichever way it came.
CREATE TABLE object_via (
    object_iri text PRIMARY KEY,
    via_iri text NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now()
);
