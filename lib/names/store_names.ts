/**
 * Writing client names into dns_client_names: what a source says now, with first and last
 * seen. The statements are in `sql/names/`.
 *
 * @module
 */
import type { Queryable } from "../db/connect.ts";
import type { NameMap } from "./parse_names.ts";
import upsertNames from "../../sql/names/upsert_names.sql" with { type: "text" };
import pruneNames from "../../sql/names/prune_names.sql" with { type: "text" };
import ptrCandidates from "../../sql/names/ptr_candidates.sql" with { type: "text" };
import ptrStore from "../../sql/names/ptr_store.sql" with { type: "text" };
import namesSummary from "../../sql/names/names_summary.sql" with { type: "text" };

/** Where a name comes from, in the order a name is preferred. */
export type NameSource = "hosts" | "dhcp" | "ptr";

/** The statements of the client name sources. */
export const NAMES_SQL = { upsertNames, pruneNames, ptrCandidates, ptrStore, namesSummary };

const CHUNK = 10_000;

/**
 * Record `names` as what `source` says at `now`. With `replace`, rows of that source that
 * `names` no longer holds are deleted (the hosts file); otherwise they stay as history.
 */
export async function storeNames(
  sql: Queryable,
  source: NameSource,
  names: NameMap,
  options: { now: Date; replace?: boolean },
): Promise<void> {
  const addrs = [...names.keys()];
  const list = [...names.values()];
  for (let i = 0; i < addrs.length; i += CHUNK) {
    await sql.unsafe(upsertNames, [
      addrs.slice(i, i + CHUNK),
      list.slice(i, i + CHUNK),
      source,
      options.now,
    ]);
  }
  if (options.replace) await sql.unsafe(pruneNames, [addrs, list, source]);
}

/** How many addresses have a name: `all`, and per source. */
export async function countNamedClients(sql: Queryable): Promise<Record<string, number>> {
  const rows = await sql.unsafe<{ source: string; addresses: number }[]>(namesSummary);
  return Object.fromEntries(rows.map((r) => [r.source, r.addresses]));
}
