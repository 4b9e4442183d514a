-- The reader's French full text ignores accents: `ecole` finds `École`. PostgreSQL's
-- `unaccent` is a contrib extension that not every server (nor the embedded one) ships, so
-- an immutable `translate()` over the letters French and its neighbours use does the job,
-- on the stored vector and on each query alike (server/read/feed.py).

CREATE FUNCTION maillage_unaccent(value text) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE STRICT
AS $$
    SELECT translate(lower(value),
                     'àâäáãåāçćčéèêëēėęíìîïīįñńóòôöõøōúùûüūÿýžźżšśł',
                     'aaaaaaaccceeeeeeeiiiiiinnooooooouuuuuyyzzzssl')
$$;

DROP INDEX objects_search;
ALTER TABLE objects DROP COLUMN search;
ALTER TABLE objects ADD COLUMN search tsvector GENERATED ALWAYS AS (
    setweight(to_tsvector('french', maillage_unaccent(title)), 'A')
    || setweight(to_tsvector('french', maillage_unaccent(summary)), 'B')
    || setweight(to_tsvector('french', maillage_unaccent(coalesce(place_name, ''))), 'B')
    || setweight(to_tsvector('french', maillage_unaccent(left(content_html, 20000))), 'C')
) STORED;
CREATE INDEX objects_search ON objects USING gin (search) WHERE deleted_at IS NULL;

-- The agenda lists events that have not ended yet, by start time: this index finds the ones
-- that started earlier and still run (end_time in the future) without reading past events.
CREATE INDEX objects_running ON objects (end_time, start_time, id)
    WHERE kind = 'event' AND deleted_at IS NULL AND end_time IS NOT NULL;

-- An initiative's page lists its upcoming events.
CREATE INDEX objects_initiative_events ON objects (initiative_iri, start_time, id)
    WHERE kind = 'event' AND deleted_at IS NULL AND initiative_iri IS NOT NULL;
