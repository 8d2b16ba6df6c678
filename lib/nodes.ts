/**
 * The node registry beyond node ids: this server's entry from its configuration (the seed's
 * `dns_nodes.node_ip`, `location`, `network`: DNSA_NODE_IP, DNSA_NODE_LOCATION,
 * DNSA_NODE_NETWORK; federation copies them to peers), and the node names a `--location` or
 * `--network` filter selects.
 *
 * @example
 * ```ts
 * const names = await nodesWhere(sql, { location: "home" }); // ["dns1", "dns2"]
 * ```
 * @module
 */
import type { Config } from "./config.ts";
import type { Sql } from "./db/connect.ts";
import nodeMeta from "../sql/nodes/node_meta.sql" with { type: "text" };
import nodesWhereSql from "../sql/nodes/nodes_where.sql" with { type: "text" };

/** Record this node's configured address, location and network (when any is set). */
export async function recordNodeMeta(
  sql: Sql,
  config: Pick<Config, "node" | "nodeMeta">,
): Promise<void> {
  const m = config.nodeMeta;
  if (m.ip === null && m.location === null && m.network === null) return;
  await sql.unsafe(nodeMeta, [config.node, m.ip, m.location, m.network]);
}

/** A filter on the registry: a location, a network, or both. */
export interface NodeFilter {
  location?: string | null;
  network?: string | null;
}

/** The node names the filter selects; null when it selects by neither (all nodes). */
export async function nodesWhere(sql: Sql, filter: NodeFilter): Promise<string[] | null> {
  if (!filter.location && !filter.network) return null;
  const rows = await sql.unsafe<{ node_name: string }[]>(nodesWhereSql, [
    filter.location ?? null,
    filter.network ?? null,
  ]);
  return rows.map((r) => r.node_name);
}

/**
 * The node scope of a report: `nodes` (names; empty = all) narrowed by the filter. Null =
 * every node; an empty array = no node matches (the report has no rows).
 */
export async function reportScope(
  sql: Sql,
  nodes: readonly string[] | null | undefined,
  filter: NodeFilter,
): Promise<string[] | null> {
  const named = nodes && nodes.length > 0 ? [...nodes] : null;
  const selected = await nodesWhere(sql, filter);
  if (selected === null) return named;
  return named === null ? selected : named.filter((n) => selected.includes(n));
}
