-- window_close: close the window's cursor. Parameters: none.
close rollup_rows
