/**
 * Every SQL statement of the ingest path, the rollup and retention, imported as text from
 * `sql/ingest/`, `sql/rollup/` and `sql/retention/` so the compiled binary carries them.
 *
 * @module
 */
import dnstapAnswered from "../../sql/ingest/dnstap_answered.sql" with { type: "text" };
import dnstapWait from "../../sql/ingest/dnstap_wait.sql" with { type: "text" };
import dnstapExpire from "../../sql/ingest/dnstap_expire.sql" with { type: "text" };
import insertDnstapUnnest from "../../sql/ingest/insert_dnstap_unnest.sql" with { type: "text" };
import applyRcodes from "../../sql/ingest/apply_rcodes.sql" with { type: "text" };
import acceptsWrites from "../../sql/ingest/accepts_writes.sql" with { type: "text" };
import ensurePartition from "../../sql/ingest/ensure_partition.sql" with { type: "text" };
import errorsUnmatched from "../../sql/ingest/errors_unmatched.sql" with { type: "text" };
import insertErrors from "../../sql/ingest/insert_errors.sql" with { type: "text" };
import insertRowsUnnest from "../../sql/ingest/insert_rows_unnest.sql" with { type: "text" };
import insertRejects from "../../sql/ingest/insert_rejects.sql" with { type: "text" };
import markDirty from "../../sql/ingest/mark_dirty.sql" with { type: "text" };
import markErrorsMatched from "../../sql/ingest/mark_errors_matched.sql" with { type: "text" };
import matchCandidates from "../../sql/ingest/match_candidates.sql" with { type: "text" };
import nodeUpsert from "../../sql/ingest/node_upsert.sql" with { type: "text" };
import batchRowsCreate from "../../sql/ingest/batch_rows_create.sql" with { type: "text" };
import packRows from "../../sql/ingest/pack_rows.sql" with { type: "text" };
import retention_delete_old_errors from "../../sql/retention/delete_old_errors.sql" with {
  type: "text",
};
import retention_delete_old_rejects from "../../sql/retention/delete_old_rejects.sql" with {
  type: "text",
};
import retention_delete_old_seen from "../../sql/retention/delete_old_seen.sql" with {
  type: "text",
};
import retention_delete_stats_day from "../../sql/retention/delete_stats_day.sql" with {
  type: "text",
};
import retention_drop_partition from "../../sql/retention/drop_partition.sql" with { type: "text" };
import retention_gin_indexes from "../../sql/retention/gin_indexes.sql" with { type: "text" };
import retention_mark_packed from "../../sql/retention/mark_packed.sql" with { type: "text" };
import retention_packed_partitions from "../../sql/retention/packed_partitions.sql" with {
  type: "text",
};
import retention_unmark_packed from "../../sql/retention/unmark_packed.sql" with { type: "text" };
import retention_raw_partitions from "../../sql/retention/raw_partitions.sql" with { type: "text" };
import retention_stats_days from "../../sql/retention/stats_days.sql" with { type: "text" };
import rollup_daily_delete from "../../sql/rollup/daily_delete.sql" with { type: "text" };
import rollup_compact_blocks from "../../sql/rollup/compact_blocks.sql" with { type: "text" };
import rollup_day_bounds from "../../sql/rollup/day_bounds.sql" with { type: "text" };
import rollup_domains_seen from "../../sql/rollup/domains_seen.sql" with { type: "text" };
import rollup_hourly_delete from "../../sql/rollup/hourly_delete.sql" with { type: "text" };
import rollup_local_nodes from "../../sql/rollup/local_nodes.sql" with { type: "text" };
import rollup_marks_delete from "../../sql/rollup/marks_delete.sql" with { type: "text" };
import rollup_marks_read from "../../sql/rollup/marks_read.sql" with { type: "text" };
import rollup_pending_days from "../../sql/rollup/pending_days.sql" with { type: "text" };
import rollup_window_clients from "../../sql/rollup/window_clients.sql" with { type: "text" };
import rollup_window_clients_copy from "../../sql/rollup/window_clients_copy.sql" with {
  type: "text",
};
import rollup_window_close from "../../sql/rollup/window_close.sql" with { type: "text" };
import rollup_window_cursor from "../../sql/rollup/window_cursor.sql" with { type: "text" };
import rollup_window_copy from "../../sql/rollup/window_copy.sql" with { type: "text" };
import rollup_window_fetch from "../../sql/rollup/window_fetch.sql" with { type: "text" };
import rollup_version_bump from "../../sql/rollup/version_bump.sql" with { type: "text" };
import rollup_versions_backfill from "../../sql/rollup/versions_backfill.sql" with {
  type: "text",
};

/** The ingest statements by name. */
export const INGEST_SQL = {
  acceptsWrites,
  insertDnstapUnnest,
  dnstapExpire,
  dnstapWait,
  dnstapAnswered,
  applyRcodes,
  batchRowsCreate,
  packRows,
  ensurePartition,
  errorsUnmatched,
  insertErrors,
  insertRejects,
  insertRowsUnnest,
  markDirty,
  markErrorsMatched,
  matchCandidates,
  nodeUpsert,
} as const;

/** The rollup statements by name (sql/rollup/). */
export const ROLLUP_SQL = {
  compactBlocks: rollup_compact_blocks,
  dailyDelete: rollup_daily_delete,
  dayBounds: rollup_day_bounds,
  domainsSeen: rollup_domains_seen,
  hourlyDelete: rollup_hourly_delete,
  localNodes: rollup_local_nodes,
  marksDelete: rollup_marks_delete,
  marksRead: rollup_marks_read,
  pendingDays: rollup_pending_days,
  windowClients: rollup_window_clients,
  windowClientsCopy: rollup_window_clients_copy,
  windowClose: rollup_window_close,
  windowCopy: rollup_window_copy,
  windowCursor: rollup_window_cursor,
  windowFetch: rollup_window_fetch,
  versionBump: rollup_version_bump,
  versionsBackfill: rollup_versions_backfill,
} as const;

/** The retention statements by name (sql/retention/). */
export const RETENTION_SQL = {
  deleteOldErrors: retention_delete_old_errors,
  deleteOldRejects: retention_delete_old_rejects,
  deleteOldSeen: retention_delete_old_seen,
  deleteStatsDay: retention_delete_stats_day,
  dropPartition: retention_drop_partition,
  ginIndexes: retention_gin_indexes,
  markPacked: retention_mark_packed,
  packedPartitions: retention_packed_partitions,
  rawPartitions: retention_raw_partitions,
  statsDays: retention_stats_days,
  unmarkPacked: retention_unmark_packed,
} as const;
