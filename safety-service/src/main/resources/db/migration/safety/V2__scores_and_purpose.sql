-- Scores behind a decision (e.g. the classifier's nsfw score), which tier asked, and what the image was
-- (a reference or an output). The input itself is still never stored.
alter table safety.decisions drop constraint decisions_kind_check;
alter table safety.decisions add constraint decisions_kind_check
    check (kind in ('prompt', 'image', 'reference', 'output'));
alter table safety.decisions add column scores jsonb not null default '{}'::jsonb;
alter table safety.decisions add column tier text;
alter table safety.decisions add column requested_tolerance smallint;
