import type { Migration } from '../../sql/migrate.js';

/** Channel on which every committed append announces the new head position. */
export const EVENTS_CHANNEL = 'parley_events';

/**
 * The log's schema and the append function.
 *
 * Global order: every append transaction first takes one advisory lock, assigns
 * positions from `es_head`, and keeps the lock until it has committed and become
 * visible. So position order is commit order, and a reader that has seen position
 * N has already seen everything below N: no subscriber can skip an event that
 * commits late. The price — one committing transaction at a time — is paid back
 * by group commit: the engine sends many appends in one call of `parley_append`.
 *
 * `parley_append(batch, hold_ms)` takes `[{s: stream, x: expected, e: [event…]}]`
 * and answers one result per item, so one item's wrong expected revision does not
 * fail the others: `{r: revision, p: position, dup?: true}` or `{err, actual?}`.
 * `hold_ms` keeps the transaction open after its writes (the conformance suite
 * uses it to prove late commits are not skipped); it is 0 in production.
 */
export const eventStoreMigrations: Migration[] = [
  {
    id: '001-log',
    sql: `
      create table es_events (
        position bigint primary key,
        stream_name text not null,
        revision bigint not null,
        event_id uuid not null,
        type text not null,
        data jsonb not null,
        metadata jsonb not null,
        created_at timestamptz not null default now(),
        constraint es_events_stream_revision unique (stream_name, revision),
        constraint es_events_event_id unique (event_id)
      );
      create table es_head (
        id int primary key check (id = 1),
        position bigint not null
      );
      insert into es_head (id, position) values (1, 0);

      create function parley_append(batch jsonb, hold_ms int default 0) returns jsonb
      language plpgsql as $fn$
      declare
        item jsonb;
        results jsonb[] := '{}';
        head bigint;
        stream text;
        expected text;
        current_rev bigint;
        wanted int;
        found_count int;
        found_streams int;
        found_stream text;
        found_min bigint;
        found_max bigint;
        found_position bigint;
        written boolean := false;
      begin
        perform pg_advisory_xact_lock(hashtext('parley_event_log'));
        select position into head from es_head where id = 1;

        for item in select value from jsonb_array_elements(batch) loop
          stream := item->>'s';
          wanted := jsonb_array_length(item->'e');

          -- Idempotency: the same ids, in the same stream and order, are a retry.
          select count(*), count(distinct x.stream_name), min(x.stream_name),
                 min(x.revision), max(x.revision), max(x.position)
            into found_count, found_streams, found_stream, found_min, found_max, found_position
            from es_events x
           where x.event_id in (select (e->>'id')::uuid from jsonb_array_elements(item->'e') e);
          if found_count > 0 then
            if found_count = wanted and found_streams = 1 and found_stream = stream
               and found_max - found_min = wanted - 1
               and not exists (
                 select 1 from jsonb_array_elements(item->'e') with ordinality e(v, ord)
                   join es_events x on x.event_id = (e.v->>'id')::uuid
                  where x.revision <> found_min + e.ord - 1) then
              results := results || jsonb_build_object('r', found_max, 'p', found_position::text, 'dup', true);
            else
              results := results || jsonb_build_object('err', 'duplicate_event_id');
            end if;
            continue;
          end if;

          select max(revision) into current_rev from es_events where stream_name = stream;
          expected := item->>'x';
          if (expected = 'no_stream' and current_rev is not null)
             or (expected = 'stream_exists' and current_rev is null)
             or (expected not in ('any', 'no_stream', 'stream_exists')
                 and current_rev is distinct from expected::bigint) then
            results := results || jsonb_build_object('err', 'wrong_expected_version', 'actual', current_rev);
            continue;
          end if;

          if wanted = 0 then
            results := results || jsonb_build_object('r', coalesce(current_rev, -1), 'p', head::text);
            continue;
          end if;

          insert into es_events (position, stream_name, revision, event_id, type, data, metadata)
          select head + e.ord, stream, coalesce(current_rev, -1) + e.ord,
                 (e.v->>'id')::uuid, e.v->>'type', e.v->'data', coalesce(e.v->'metadata', '{}'::jsonb)
            from jsonb_array_elements(item->'e') with ordinality e(v, ord);

          head := head + wanted;
          results := results || jsonb_build_object('r', coalesce(current_rev, -1) + wanted, 'p', head::text);
          written := true;
        end loop;

        if written then
          update es_head set position = head where id = 1;
          perform pg_notify('${EVENTS_CHANNEL}', head::text);
        end if;
        if hold_ms > 0 then
          perform pg_sleep(hold_ms / 1000.0);
        end if;
        return to_jsonb(results);
      end
      $fn$;
    `,
  },
];
