-- The feed's search vector, written by the application (issue 11, bench part 2).
--
-- `maillage_unaccent` is a `translate()` over 45 letters: PostgreSQL compares each character
-- of the text with every one of them, and on a 2,700-character event that took as long as
-- `to_tsvector` itself (a third of the whole row's cost of writing). The application now
-- folds the accents in Python (server/store/search.py: the same letters, the same result)
-- and sends the folded texts with the row; `search` is a plain column from here on.
-- A writer that does not send it (hand-written SQL, the bench's generated rows, older
-- code) still gets the vector: the trigger computes it as the generated column did, when a
-- row is inserted without one or its texts change and the vector does not.

CREATE FUNCTION maillage_search_vector(title text, summary text, place text, content text)
RETURNS tsvector LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT setweight(to_tsvector('french', coalesce(title, '')), 'A')
        || setweight(to_tsvector('french', coalesce(summary, '')), 'B')
        || setweight(to_tsvector('french', coalesce(place, '')), 'B')
        || setweight(to_tsvector('french', coalesce(content, '')), 'C')
$$;

CREATE FUNCTION maillage_search(title text, summary text, place text, content text)
RETURNS tsvector LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT maillage_search_vector(maillage_unaccent(title), maillage_unaccent(summary),
                                  maillage_unaccent(coalesce(place, '')),
                                  maillage_unaccent(left(content, 20000)))
$$;

ALTER TABLE objects ALTER COLUMN search DROP EXPRESSION;

CREATE FUNCTION maillage_objects_search() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        IF NEW.search IS NULL THEN
            NEW.search := maillage_search(NEW.title, NEW.summary, NEW.place_name,
                                          NEW.content_html);
        END IF;
    ELSIF NEW.search IS NOT DISTINCT FROM OLD.search
          AND (NEW.title, NEW.summary, NEW.place_name, NEW.content_html)
              IS DISTINCT FROM (OLD.title, OLD.summary, OLD.place_name, OLD.content_html) THEN
        NEW.search := maillage_search(NEW.title, NEW.summary, NEW.place_name, NEW.content_html);
    END IF;
    RETURN NEW;
END
$$;

CREATE TRIGGER objects_search BEFORE INSERT OR UPDATE OF title, summary, place_name,
    content_html, search ON objects
    FOR EACH ROW EXECUTE FUNCTION maillage_objects_search();
