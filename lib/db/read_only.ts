/**
 * Recovery from a read-only episode (`ALTER DATABASE … SET default_transaction_read_only`,
 * a standby promoted back): PostgreSQL applies such a default when a session starts, so the
 * pool's sessions opened meanwhile stay read-only after the database takes writes again.
 * {@linkcode acceptsWrites} reads whether it does now (from the catalog, not from this
 * session's default); {@linkcode renewSessions} sets the default back on every session of a
 * pool. The batch commit says `begin read write` instead (lib/ingest/commit.ts); the scheduled
 * jobs (jobs/schedule.ts) renew the sessions and run again.
 *
 * @module
 */
import type { Sql } from "./connect.ts";
import { INGEST_SQL } from "./statements.ts";

/** Whether the database takes writes now (false when that cannot be read). */
export async function acceptsWrites(sql: Sql): Promise<boolean> {
  try {
    const [r] = await sql.unsafe<{ ok: boolean }[]>(INGEST_SQL.acceptsWrites);
    return r?.ok === true;
  } catch {
    return false;
  }
}

/**
 * Set `default_transaction_read_only = off` on every session of `sql`'s pool: each is taken
 * (reserved) once, the ones taken are held until all are or `timeoutMs` passed (so no session
 * is taken twice), then given back; a session busy until then gets the setting when it is
 * free. Returns how many sessions were set within the time. Call it only once
 * {@linkcode acceptsWrites} says the database takes writes.
 */
export async function renewSessions(
  sql: Sql,
  options: { timeoutMs?: number } = {},
): Promise<number> {
  if (typeof sql.reserve !== "function") return 0;
  const max = (sql as unknown as { options?: { max?: number } }).options?.max ?? 1;
  const held: { reserved: Awaited<ReturnType<Sql["reserve"]>>; renewed: Promise<void> }[] = [];
  let late = false;
  let set = 0;
  const renew = async (reserved: Awaited<ReturnType<Sql["reserve"]>>) => {
    try {
      await reserved.unsafe("set session default_transaction_read_only = off");
      set++;
    } catch {
      // a session that fails here is closed by the pool; a new one takes the new default
    }
  };
  const all = Promise.allSettled(
    Array.from({ length: max }, async () => {
      const reserved = await sql.reserve();
      if (late) {
        await renew(reserved);
        reserved.release();
        return;
      }
      const renewed = renew(reserved);
      held.push({ reserved, renewed });
      await renewed;
    }),
  );
  let timer: ReturnType<typeof setTimeout> | undefined;
  await Promise.race([
    all,
    new Promise((r) => timer = setTimeout(r, options.timeoutMs ?? 5000)),
  ]);
  clearTimeout(timer);
  late = true;
  for (const { reserved, renewed } of held.splice(0)) {
    await renewed;
    reserved.release();
  }
  return set;
}
