-- window_fetch: the next rows of the window's cursor (lib/rollup_window.ts reads 20 000 at a
--   time and stops at a shorter batch). Parameters: none.
fetch 20000 from rollup_rows
