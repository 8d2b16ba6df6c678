/**
 * The postgres_fdw route: instead of copying a peer's statistics (lib/federation/pull.ts), read
 * them where they are. `federate --setup-fdw PEER` makes a foreign server for the peer, a
 * user mapping for the current role, the peer's statistics tables as foreign tables in schema
 * `peer_<label>`, and for each statistics table (and named's server counters,
 * `dns_server_counters`) a view `<table>_all` = the local rows union all every fdw peer's own
 * nodes (a peer without the table, an older dns-analytics, adds none).
 *
 * @module
 */
import type { Sql } from "../db/connect.ts";
import fdwSetup from "../../sql/federation/fdw_setup.sql" with { type: "text" };
import fdwSetupCall from "../../sql/federation/fdw_setup_call.sql" with { type: "text" };
import fdwViews from "../../sql/federation/fdw_views.sql" with { type: "text" };
import fdwViewsCall from "../../sql/federation/fdw_views_call.sql" with { type: "text" };
import type { Peer } from "./peer.ts";
import { urlParts } from "./peer.ts";
import { pgpassPassword } from "../pgpass.ts";
import { STATISTICS_TABLES } from "../rollup/rollup.ts";
import { SERVER_COUNTER_TABLES } from "../server_stats/federation.ts";

/** The tables read through the fdw route, each with its `_all` view. */
const FDW_TABLES = [...STATISTICS_TABLES, ...SERVER_COUNTER_TABLES];

/** What {@linkcode setupFdwPeer} made. */
export interface FdwSetupResult {
  peer: string;
  schema: string;
  views: string[];
}

/** Make (or make again) the postgres_fdw route to `peer` and the `_all` views. */
export async function setupFdwPeer(
  sql: Sql,
  peer: Peer,
  options: { env: Record<string, string | undefined> },
): Promise<FdwSetupResult> {
  const p = urlParts(peer.url);
  const password = p.password || await pgpassPassword(p, { env: options.env });
  return await sql.begin(async (tx) => {
    await tx.unsafe(fdwSetup);
    const [made] = await tx.unsafe<{ schema: string }[]>(fdwSetupCall, [
      peer.name,
      p.host,
      String(p.port),
      p.database,
      p.user,
      password || null,
      [...FDW_TABLES, "dns_nodes"],
    ]);
    await tx.unsafe(fdwViews);
    await tx.unsafe(fdwViewsCall, [FDW_TABLES]);
    return {
      peer: peer.name,
      schema: made.schema,
      views: FDW_TABLES.map((t) => `${t}_all`),
    };
  });
}
