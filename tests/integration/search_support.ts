/**
 * Test support for the query log search tests: the BIND 9.18 fixture's logs and a filter
 * from its text form (in UTC). Not a test file itself.
 *
 * @module
 */
import { join } from "node:path";
import { parseQueryFilter, type QueryFilter } from "../../lib/search/filter.ts";

const FIXTURES = new URL("../fixtures/bind-9.18/", import.meta.url).pathname;
export const QUERIES = join(FIXTURES, "queries.log.gz");
export const ERRORS = join(FIXTURES, "query-errors.log");

/** The filter of `input` (CLI and URL text), in UTC; throws on a bad one. */
export function filter(input: Record<string, string>): QueryFilter {
  const f = parseQueryFilter(input, { tz: "UTC" });
  if (!f.ok) throw new Error(f.message);
  return f.value;
}
