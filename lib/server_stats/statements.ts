/**
 * The SQL of named's server counters, imported as text from `sql/server_stats/` so the
 * compiled binary carries it.
 *
 * @module
 */
import countersAdd from "../../sql/server_stats/counters_add.sql" with { type: "text" };
import federationDelete from "../../sql/server_stats/federation_delete.sql" with {
  type: "text",
};
import federationInsert from "../../sql/server_stats/federation_insert.sql" with {
  type: "text",
};
import federationRead from "../../sql/server_stats/federation_read.sql" with { type: "text" };
import peerHasCounters from "../../sql/server_stats/peer_has_counters.sql" with { type: "text" };
import retentionDays from "../../sql/server_stats/retention_days.sql" with { type: "text" };
import retentionDeleteDay from "../../sql/server_stats/retention_delete_day.sql" with {
  type: "text",
};
import sampleGet from "../../sql/server_stats/sample_get.sql" with { type: "text" };
import samplePut from "../../sql/server_stats/sample_put.sql" with { type: "text" };

/** The statements by name. */
export const SERVER_STATS_SQL = {
  countersAdd,
  federationDelete,
  federationInsert,
  federationRead,
  peerHasCounters,
  retentionDays,
  retentionDeleteDay,
  sampleGet,
  samplePut,
} as const;
