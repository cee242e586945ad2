-- Each gateway replica keeps the keys it looked up for a short while. A change of a key (revocation) or of
-- any tenant is announced at commit, so every replica drops what it holds at once: payload the key's prefix,
-- or empty for "everything" (a tenant's policy is part of each of its keys' cached entries).
create function gateway.notify_key_changed() returns trigger language plpgsql as $$
begin
    if tg_table_name = 'api_keys' then
        perform pg_notify('api_keys_changed', old.prefix);
    else
        perform pg_notify('api_keys_changed', '');
    end if;
    return null;
end
$$;

create trigger api_keys_changed after update or delete on gateway.api_keys
    for each row execute function gateway.notify_key_changed();

create trigger tenants_changed after insert or update or delete on gateway.tenants
    for each row execute function gateway.notify_key_changed();
