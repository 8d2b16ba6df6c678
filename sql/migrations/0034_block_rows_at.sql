-- 0034_block_rows_at: dnsa_block_rows_at, the rows of one block at the positions of a key's
--   value (a client address, a name, an apex), for the drill-downs that count them
--   (lib/search/drill_keyed.ts: a client's top domains, qtypes and rcodes; a name's top
--   clients).
-- Purpose: a drill-down over a week reads the same four arrays of every block holding the
--   client and subscripts them at the client's positions. Subscripts of a stored text or
--   inet array detoast it (and walk it) each time, so the statement must read each array once
--   per block: done before with OFFSET 0 subqueries, which keep PostgreSQL from running the
--   statement in parallel workers. A PL/pgSQL function takes each array once as an argument
--   (arrays become expanded, indexed arrays in PL/pgSQL) and is PARALLEL SAFE, so the blocks
--   are shared among workers and counted by a partial aggregate in each (measured on 30 days
--   x 1 M queries, 7 days of one client: 292 against 459 ms, 68k rows 229 against 395 ms on 2
--   cores). A row's later outcome (dns_query_outcomes: the rcode of a joined query-errors
--   line) replaces the block's rcode, as the view dns_queries does; blocks without outcomes
--   (one probe each) skip the join.
-- Columns: idx (1-based position in the block), key (the key array's element at idx),
--   response_rcode (with the outcome applied), at_us (microseconds after the block's first_at;
--   NULL when the caller passes no time array).
-- Parameters: first_at and block_id of the block, the positions (array_positions of the
--   value), the array to count by, the block's response_rcode and at_us arrays. Read-only.

create or replace function dnsa_block_rows_at(
  block_first_at timestamptz,
  block_block_id bigint,
  positions integer[],
  key_values anyarray,
  rcodes text[],
  offsets bigint[]
)
returns table (idx integer, key anyelement, response_rcode text, at_us bigint)
language plpgsql stable parallel safe rows 1000 as $$
begin
  if exists (select from dns_query_outcomes o
             where o.first_at = block_first_at and o.block_id = block_block_id) then
    return query
      select p.i, key_values[p.i],
        case when o.idx is null then rcodes[p.i] else o.response_rcode end, offsets[p.i]
      from unnest(positions) as p(i)
      left join dns_query_outcomes o
        on o.first_at = block_first_at and o.block_id = block_block_id and o.idx = p.i;
  else
    return query
      select p.i, key_values[p.i], rcodes[p.i], offsets[p.i] from unnest(positions) as p(i);
  end if;
end
$$;
