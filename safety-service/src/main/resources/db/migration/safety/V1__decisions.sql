-- One row per check. input_sha256 is the only trace of the input: the prompt or image itself is never stored.
create table safety.decisions (
    id             uuid primary key,
    subject        text        not null,
    kind           text        not null check (kind in ('prompt', 'image')),
    input_sha256   char(64)    not null,
    flagged        boolean     not null,
    reasons        jsonb       not null default '[]'::jsonb,
    policy_version text        not null,
    tolerance      smallint    not null,
    created_at     timestamptz not null default now()
);

create index decisions_subject_idx on safety.decisions (subject, created_at);
create index decisions_input_idx on safety.decisions (input_sha256);
