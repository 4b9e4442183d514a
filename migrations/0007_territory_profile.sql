-- The territory's profile as administrators set it on the web: uploaded pictures (file
-- names under /media/, else the shipped defaults) and two profile fields. IF NOT EXISTS: for
-- a database that got them from an early draft of 0006.
ALTER TABLE actors
    ADD COLUMN IF NOT EXISTS icon_path text,
    ADD COLUMN IF NOT EXISTS banner_path text,
    ADD COLUMN IF NOT EXISTS website text,
    ADD COLUMN IF NOT EXISTS contact text;
