/**
 * Every SQL statement of federation, imported as text from `sql/federation/` so the compiled
 * binary carries them: what runs on a peer (read-only) and what applies its rows here.
 *
 * @module
 */
import dayApplied from "../../sql/federation/day_applied.sql" with { type: "text" };
import dayDelete from "../../sql/federation/day_delete.sql" with { type: "text" };
import dayRecord from "../../sql/federation/day_record.sql" with { type: "text" };
import insertDailyApexes from "../../sql/federation/insert_daily_apexes.sql" with { type: "text" };
import insertDailyClients from "../../sql/federation/insert_daily_clients.sql" with {
  type: "text",
};
import insertDailyDomains from "../../sql/federation/insert_daily_domains.sql" with {
  type: "text",
};
import insertDailyQtypes from "../../sql/federation/insert_daily_qtypes.sql" with { type: "text" };
import insertDailyStats from "../../sql/federation/insert_daily_stats.sql" with { type: "text" };
import insertDailyTotals from "../../sql/federation/insert_daily_totals.sql" with { type: "text" };
import insertHourlyStats from "../../sql/federation/insert_hourly_stats.sql" with { type: "text" };
import insertHourlyTotals from "../../sql/federation/insert_hourly_totals.sql" with {
  type: "text",
};
import nodeOwner from "../../sql/federation/node_owner.sql" with { type: "text" };
import nodeRegister from "../../sql/federation/node_register.sql" with { type: "text" };
import peerAdvance from "../../sql/federation/peer_advance.sql" with { type: "text" };
import peerFinish from "../../sql/federation/peer_finish.sql" with { type: "text" };
import peerIdentity from "../../sql/federation/peer_identity.sql" with { type: "text" };
import peerNodes from "../../sql/federation/peer_nodes.sql" with { type: "text" };
import peerReset from "../../sql/federation/peer_reset.sql" with { type: "text" };
import peerStart from "../../sql/federation/peer_start.sql" with { type: "text" };
import peerVersions from "../../sql/federation/peer_versions.sql" with { type: "text" };
import readDailyApexes from "../../sql/federation/read_daily_apexes.sql" with { type: "text" };
import readDailyClients from "../../sql/federation/read_daily_clients.sql" with { type: "text" };
import readDailyDomains from "../../sql/federation/read_daily_domains.sql" with { type: "text" };
import readDailyQtypes from "../../sql/federation/read_daily_qtypes.sql" with { type: "text" };
import readDailyStats from "../../sql/federation/read_daily_stats.sql" with { type: "text" };
import readDailyTotals from "../../sql/federation/read_daily_totals.sql" with { type: "text" };
import readHourlyStats from "../../sql/federation/read_hourly_stats.sql" with { type: "text" };
import readHourlyTotals from "../../sql/federation/read_hourly_totals.sql" with { type: "text" };
import registryPeers from "../../sql/federation/registry_peers.sql" with { type: "text" };

/** The federation statements by name (sql/federation/). */
export const FEDERATION_SQL = {
  dayApplied,
  dayDelete,
  dayRecord,
  nodeOwner,
  nodeRegister,
  peerAdvance,
  peerFinish,
  peerIdentity,
  peerNodes,
  peerReset,
  peerStart,
  peerVersions,
  registryPeers,
} as const;

/** A statistics table a peer's day is copied through: how its rows of a day are chosen. */
export interface FederatedTable {
  table: string;
  /** `daily`: by stat_date; `hourly`: by stat_hour within the day's bounds. */
  by: "daily" | "hourly";
  /** On the peer: the rows as JSON text (column `r`). */
  read: string;
  /** Here: insert a JSON array of rows. */
  insert: string;
}

/**
 * The statistics tables copied per (node, day). dns_domains_seen is derived here from the
 * copied dns_daily_domains, exactly as the rollup derives it on the peer.
 */
export const FEDERATED_TABLES: readonly FederatedTable[] = [
  { table: "dns_hourly_stats", by: "hourly", read: readHourlyStats, insert: insertHourlyStats },
  { table: "dns_hourly_totals", by: "hourly", read: readHourlyTotals, insert: insertHourlyTotals },
  { table: "dns_daily_stats", by: "daily", read: readDailyStats, insert: insertDailyStats },
  { table: "dns_daily_domains", by: "daily", read: readDailyDomains, insert: insertDailyDomains },
  { table: "dns_daily_apexes", by: "daily", read: readDailyApexes, insert: insertDailyApexes },
  { table: "dns_daily_clients", by: "daily", read: readDailyClients, insert: insertDailyClients },
  { table: "dns_daily_qtypes", by: "daily", read: readDailyQtypes, insert: insertDailyQtypes },
  { table: "dns_daily_totals", by: "daily", read: readDailyTotals, insert: insertDailyTotals },
];
