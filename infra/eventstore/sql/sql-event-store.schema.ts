import type { Migration } from '../../sql/migrate.js';

/** Channel on which every committed append announces the new head position. */
export const EVENTS_CHANNEL = 'parley_events';

/**
 * The log's schema and the append function.
 *
 * Global order: every append transaction first takes one advisory lock, assigns
 * positions after the current maximum, and keeps the lock until it has committed and become
 * visible. So position order is commit order, and a reader that has seen position
 * N has already seen everything below N: no subscriber can skip an event that
 * commits late. The price — one committing transaction at a time — is paid back
 * by group commit: the engine sends many appends in one call of `parley_append`.
 *
 * `parley_append(streams, expectations, counts, ids, types, datas, metas, hold_ms)`
 * takes a batch of appends (one entry per append in the first three arrays, one
 * per event, append after append, in the others) and answers one result per append, so one item's wrong expected revision does not
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
        -- json, not jsonb: the log stores what it was given and never queries inside
        -- it (read models do), and json input is about a fifth cheaper per event.
        data json not null,
        metadata json not null,
        created_at timestamptz not null default now(),
        constraint es_events_stream_revision unique (stream_name, revision),
        constraint es_events_event_id unique (event_id)
      );

      -- Set-based on purpose: a batch costs a handful of statements (prefetch the
      -- streams' revisions and any known event ids, then one insert for every
      -- accepted append), not several per append; per-append work is plain
      -- expressions. Events arrive as parallel arrays, append after append, so
      -- each event's JSON is parsed once, straight into its column.
      -- enable_seqscan off: a plan cached while the log was empty must not keep
      -- scanning the whole table once it has grown.
      create function parley_append(
        streams text[], expectations text[], counts int[],
        ids uuid[], types text[], datas text[], metas text[],
        hold_ms int default 0) returns jsonb
      language plpgsql set enable_seqscan = off as $fn$
      declare
        results jsonb[] := '{}';
        accepted_offsets int[] := '{}';
        accepted_counts int[] := '{}';
        accepted_revisions bigint[] := '{}';
        accepted_positions bigint[] := '{}';
        accepted_streams text[] := '{}';
        head bigint;
        stream text;
        expected text;
        current_rev bigint;
        wanted int;
        event_offset int := 0;
        repeated_ids boolean;
        known jsonb;
        revisions jsonb;
        found_count int;
        in_order boolean;
        found_max bigint;
        found_position bigint;
      begin
        perform pg_advisory_xact_lock(hashtext('parley_event_log'));
        -- The head is derived, not kept in a counter row: a row updated by every
        -- batch bloats with dead versions and slows every append that reads it.
        select coalesce(max(position), 0) into head from es_events;

        select count(*) <> count(distinct id) into repeated_ids from unnest(ids) id;
        select coalesce(jsonb_object_agg(event_id::text, jsonb_build_array(stream_name, revision, position)), '{}')
          into known from es_events where event_id = any(ids);
        select coalesce(jsonb_object_agg(d.s, (select max(x.revision) from es_events x where x.stream_name = d.s)), '{}')
          into revisions from (select distinct s from unnest(streams) s) d;

        for i in 1 .. coalesce(cardinality(streams), 0) loop
          stream := streams[i];
          wanted := counts[i];
          event_offset := event_offset + coalesce(counts[i - 1], 0);

          -- Idempotency: ids written before, in the same stream and order, are a retry.
          if known <> '{}' then
            select count(*), max((known->(e.id::text)->>1)::bigint), max((known->(e.id::text)->>2)::bigint),
                   bool_and(known->(e.id::text)->>0 = stream)
                     and count(distinct (known->(e.id::text)->>1)::bigint - e.ord) = 1
              into found_count, found_max, found_position, in_order
              from unnest(ids[event_offset + 1 : event_offset + wanted]) with ordinality e(id, ord)
             where known ? (e.id::text);
            if found_count > 0 then
              if found_count = wanted and in_order then
                results := results || jsonb_build_object('r', found_max, 'p', found_position::text, 'dup', true);
              else
                results := results || jsonb_build_object('err', 'duplicate_event_id');
              end if;
              continue;
            end if;
          end if;

          current_rev := (revisions->>stream)::bigint;
          expected := expectations[i];
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

          accepted_offsets := accepted_offsets || event_offset;
          accepted_counts := accepted_counts || wanted;
          accepted_revisions := accepted_revisions || coalesce(current_rev, -1);
          accepted_positions := accepted_positions || head;
          accepted_streams := accepted_streams || stream;
          head := head + wanted;
          current_rev := coalesce(current_rev, -1) + wanted;
          revisions := jsonb_set(revisions, array[stream], to_jsonb(current_rev));
          results := results || jsonb_build_object('r', current_rev, 'p', head::text);
          if repeated_ids then
            -- Rare: the same ids twice in one batch (a retry racing its original).
            select known || jsonb_object_agg(e.id::text, jsonb_build_array(stream, current_rev - wanted + e.ord, head - wanted + e.ord))
              into known from unnest(ids[event_offset + 1 : event_offset + wanted]) with ordinality e(id, ord);
          end if;
        end loop;

        if cardinality(accepted_offsets) > 0 then
          insert into es_events (position, stream_name, revision, event_id, type, data, metadata)
          select a.position + e.n - a.event_offset, a.stream, a.revision + e.n - a.event_offset,
                 e.id, e.type, e.data::json, e.meta::json
            from unnest(accepted_offsets, accepted_counts, accepted_revisions, accepted_positions, accepted_streams)
                   a(event_offset, event_count, revision, position, stream)
            join unnest(ids, types, datas, metas) with ordinality e(id, type, data, meta, n)
              on e.n > a.event_offset and e.n <= a.event_offset + a.event_count;
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
  {
    // The function above decides append after append in PL/pgSQL, a few microseconds
    // per statement, and matches events to appends with a join that grows with the
    // square of the batch: two thirds of the database's work under a chat load. Each
    // node keeps one append per stream in flight, so a batch almost always holds
    // distinct streams and fresh ids; then every append can be decided at once.
    id: '002-set-based-append',
    sql: `
      alter function parley_append(text[], text[], int[], uuid[], text[], text[], text[], int)
        rename to parley_append_in_order;

      -- Same arguments and answers as parley_append_in_order, which still decides a
      -- batch that names a stream twice (one append sees the one before) or carries
      -- ids seen before (retries) or twice.
      create function parley_append(
        streams text[], expectations text[], counts int[],
        ids uuid[], types text[], datas text[], metas text[],
        hold_ms int default 0) returns jsonb
      language plpgsql set enable_seqscan = off as $fn$
      declare
        head bigint;
        results jsonb;
        new_head bigint;
        event_kept boolean[];
        event_positions bigint[];
        event_streams text[];
        event_revisions bigint[];
      begin
        if (select count(distinct s) <> count(*) from unnest(streams) s)
           or (select count(distinct id) <> count(*) from unnest(ids) id) then
          return parley_append_in_order(streams, expectations, counts, ids, types, datas, metas, hold_ms);
        end if;
        perform pg_advisory_xact_lock(hashtext('parley_event_log'));
        if exists (select 1 from es_events where event_id = any(ids)) then
          -- It takes the lock again: advisory locks stack within a transaction.
          return parley_append_in_order(streams, expectations, counts, ids, types, datas, metas, hold_ms);
        end if;
        select coalesce(max(position), 0) into head from es_events;

        -- One row per append: its stream's revision, whether its expectation holds,
        -- and the head once it is written (accepted appends take positions in order);
        -- then one array element per event, in the order of ids, for the insert to
        -- zip with the event arrays.
        with decided as (
          select a.i, a.stream, a.wanted, r.current_rev,
                 case a.expected
                   when 'any' then true
                   when 'no_stream' then r.current_rev is null
                   when 'stream_exists' then r.current_rev is not null
                   else r.current_rev is not distinct from a.expected::bigint
                 end as ok
            from unnest(streams, expectations, counts) with ordinality a(stream, expected, wanted, i)
            left join lateral (select max(x.revision) as current_rev
                                 from es_events x where x.stream_name = a.stream) r on true
        ), placed as (
          select d.*, head + sum(case when d.ok then d.wanted else 0 end) over (order by d.i) as head_after
            from decided d
        )
        select (select coalesce(jsonb_agg(
                         case when p.ok
                           then jsonb_build_object('r', coalesce(p.current_rev, -1) + p.wanted, 'p', p.head_after::text)
                           else jsonb_build_object('err', 'wrong_expected_version', 'actual', p.current_rev)
                         end order by p.i), '[]') from placed p),
               (select coalesce(max(p.head_after), head) from placed p),
               array_agg(p.ok order by p.i, k),
               array_agg(p.head_after - p.wanted + k order by p.i, k),
               array_agg(p.stream order by p.i, k),
               array_agg(coalesce(p.current_rev, -1) + k order by p.i, k)
          into results, new_head, event_kept, event_positions, event_streams, event_revisions
          from placed p cross join lateral generate_series(1, p.wanted) k;

        if new_head > head then
          insert into es_events (position, stream_name, revision, event_id, type, data, metadata)
          select e.position, e.stream, e.revision, e.id, e.type, e.data::json, e.meta::json
            from unnest(event_kept, event_positions, event_streams, event_revisions, ids, types, datas, metas)
                   e(kept, position, stream, revision, id, type, data, meta)
           where e.kept;
          perform pg_notify('${EVENTS_CHANNEL}', new_head::text);
        end if;
        if hold_ms > 0 then
          perform pg_sleep(hold_ms / 1000.0);
        end if;
        return results;
      end
      $fn$;
    `,
  },
];
