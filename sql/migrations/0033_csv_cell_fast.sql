-- 0033_csv_cell_fast: dnsa_csv_cell (0024) with the same rule in fewer steps per cell.
-- Purpose: the CSV export (sql/search/query_csv.sql) calls dnsa_csv_cell for 14 cells of every
--   row. The rule is unchanged (lib/csv.ts's csvField: a cell that starts with =, +, -, @, a
--   tab or a carriage return and is not a number gets a leading '; an empty text becomes
--   NULL), but it is now decided by the first character: above '@' (letters, most cells) the
--   cell is kept as it is in one comparison; =, +, @, tab and carriage return are prefixed
--   without the regular expression (a number starts with a digit or '-', so it never matched
--   them: query flags such as +E(0)K ran it on every row); only '-' runs it.
-- Parameters: none. Applied once by lib/db/migrate.ts; safe to re-run (create or replace).

create or replace function dnsa_csv_cell(cell text) returns text
language sql immutable parallel safe as $$
  select case
    when ascii(cell) > 64 then cell
    when ascii(cell) in (9, 13, 43, 61, 64) then '''' || cell
    when ascii(cell) = 45 and cell !~ '^-?[0-9]+([.][0-9]+)?$' then '''' || cell
    else nullif(cell, '')
  end
$$;
