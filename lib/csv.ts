/**
 * CSV fields, one rule for every CSV the program writes (`report --format csv` and the HTTP
 * exports): quoted when they hold a quote, comma or line break; and a text cell that a
 * spreadsheet would run as a formula (it starts with `=`, `+`, `-`, `@`, a tab or a carriage
 * return: query names and client names are chosen by whoever sends the queries) gets a
 * leading `'`, so it is shown as text. Numbers stay numbers, negative ones included.
 *
 * @example
 * ```ts
 * csvField("=HYPERLINK(\"http://x\")"); // `"'=HYPERLINK(""http://x"")"`
 * csvField(-3); // "-3"
 * ```
 * @module
 */

/** One CSV field for `value` (null and undefined are empty; a Date is ISO 8601). */
export function csvField(value: unknown): string {
  if (value === null || value === undefined) return "";
  let s = value instanceof Date
    ? value.toISOString()
    : typeof value === "object"
    ? JSON.stringify(value)
    : String(value);
  if (typeof value === "string" && /^[=+@\-\t\r]/.test(s) && !/^-?\d+(\.\d+)?$/.test(s)) {
    s = `'${s}`;
  }
  return /[",\r\n]/.test(s) ? `"${s.replaceAll('"', '""')}"` : s;
}

/** The header line and one line per row, fields by {@linkcode csvField}. */
export function csvLines(
  columns: readonly string[],
  rows: readonly Record<string, unknown>[],
): string[] {
  return [
    columns.map(csvField).join(","),
    ...rows.map((r) => columns.map((c) => csvField(r[c])).join(",")),
  ];
}
