/**
 * Every SQL statement of the ingest path, imported as text from `sql/ingest/` so the
 * compiled binary carries them.
 *
 * @module
 */
import applyRcodes from "../../sql/ingest/apply_rcodes.sql" with { type: "text" };
import checkpointGet from "../../sql/ingest/checkpoint_get.sql" with { type: "text" };
import checkpointPeek from "../../sql/ingest/checkpoint_peek.sql" with { type: "text" };
import checkpointPut from "../../sql/ingest/checkpoint_put.sql" with { type: "text" };
import ensurePartition from "../../sql/ingest/ensure_partition.sql" with { type: "text" };
import errorsUnmatched from "../../sql/ingest/errors_unmatched.sql" with { type: "text" };
import insertErrors from "../../sql/ingest/insert_errors.sql" with { type: "text" };
import insertRowsUnnest from "../../sql/ingest/insert_rows_unnest.sql" with { type: "text" };
import insertRejects from "../../sql/ingest/insert_rejects.sql" with { type: "text" };
import markErrorsMatched from "../../sql/ingest/mark_errors_matched.sql" with { type: "text" };
import matchCandidates from "../../sql/ingest/match_candidates.sql" with { type: "text" };
import nodeUpsert from "../../sql/ingest/node_upsert.sql" with { type: "text" };

/** The ingest statements by name. */
export const INGEST_SQL = {
  applyRcodes,
  checkpointGet,
  checkpointPeek,
  checkpointPut,
  ensurePartition,
  errorsUnmatched,
  insertErrors,
  insertRejects,
  insertRowsUnnest,
  markErrorsMatched,
  matchCandidates,
  nodeUpsert,
} as const;
