/**
 * What the `migrate` command prints: with `--dry-run`, the plan (pending migrations and, for
 * a database of the seed guide's install, its tables, rows, nodes and days); otherwise the
 * outcome, with the seed conversion when one was done.
 *
 * @module
 */
import type { JobContext } from "../context.ts";
import { migrate } from "../db/migrate.ts";

/** The JSON object `migrate` prints. */
export async function migrateOutput(
  ctx: JobContext,
  dryRun: boolean,
): Promise<Record<string, unknown>> {
  if (dryRun) {
    const r = await migrate(ctx.sql, {
      dryRun: true,
      seed: { node: ctx.config.node, tz: ctx.config.logTz },
    });
    return {
      dry_run: true,
      pending: r.pending ?? [],
      seed: r.seedPlan ?? null,
      will: r.seedPlan
        ? (r.seedPlan.problems.length > 0
          ? "refuse: fix the problems listed, then run migrate again"
          : "move the seed's tables to schema dnsa_seed, create this program's tables, copy " +
            "every row in (counted before and after), then drop the seed's tables")
        : (r.pending ?? []).length > 0
        ? "apply the pending migrations"
        : "nothing",
    };
  }
  const [row] = await ctx.sql<{ value: string }[]>`
    select value from dnsa_settings where key = 'seed_converted'`;
  return { migrated: true, ...(row ? { seed: JSON.parse(row.value) } : {}) };
}
