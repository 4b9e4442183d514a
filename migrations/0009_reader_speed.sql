-- The reader at a million objects (issue 9, bench part 7).

-- An event's start as its own wall clock: the month grid and its days are the event's local
-- days (23:30 Europe/Paris on 31 December belongs to the 31st), and an index on this column
-- finds one local day's events directly. `AT TIME ZONE` with a zone name is not immutable,
-- so a trigger fills the column on every write rather than a generated column. A zone that
-- PostgreSQL does not know (or none) falls back to the instance's zone, which each
-- connection of the application sets as `maillage.timezone` (server/store/db.py), then to
-- Europe/Paris; the same fallback as the pages' (server/read/agenda.py).
CREATE TABLE time_zones (name text PRIMARY KEY);
INSERT INTO time_zones SELECT DISTINCT name FROM pg_timezone_names;

CREATE FUNCTION maillage_wall_clock(moment timestamptz, zone text) RETURNS timestamp
LANGUAGE plpgsql STABLE PARALLEL SAFE AS $$
DECLARE
    known text;
BEGIN
    IF moment IS NULL THEN
        RETURN NULL;
    END IF;
    SELECT name INTO known FROM time_zones WHERE name = zone;
    IF known IS NULL THEN
        SELECT name INTO known FROM time_zones
        WHERE name = current_setting('maillage.timezone', true);
    END IF;
    RETURN moment AT TIME ZONE coalesce(known, 'Europe/Paris');
END
$$;

CREATE FUNCTION maillage_objects_wall_clock() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    NEW.start_local := maillage_wall_clock(NEW.start_time, NEW.timezone);
    RETURN NEW;
END
$$;

ALTER TABLE objects ADD COLUMN start_local timestamp;
UPDATE objects SET start_local = maillage_wall_clock(start_time, timezone)
WHERE start_time IS NOT NULL;
CREATE TRIGGER objects_wall_clock BEFORE INSERT OR UPDATE OF start_time, timezone ON objects
    FOR EACH ROW EXECUTE FUNCTION maillage_objects_wall_clock();

CREATE INDEX objects_local_day ON objects (start_local, id)
    WHERE kind = 'event' AND deleted_at IS NULL AND start_local IS NOT NULL;

-- Events longer than half a day (festivals, exhibitions, all-day events) are listed on every
-- day they cover; they are few, so the month grid finds those that overlap it here rather
-- than among every event that ends after the month began.
CREATE INDEX objects_long ON objects (start_time, end_time, id)
    WHERE kind = 'event' AND deleted_at IS NULL AND end_time - start_time > interval '12 hours';

-- `status=tentative|cancelled` in feed order: such events are few, and without this index
-- the feed reads every event to find none.
CREATE INDEX objects_unconfirmed ON objects (status, published DESC, id DESC)
    WHERE deleted_at IS NULL AND kind = 'event' AND status IN ('tentative', 'cancelled');
