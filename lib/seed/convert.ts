/**
 * The move from the seed guide's install: its own tables (`dns_queries` with a serial `id`
 * and the ingestor's nine columns, `dns_daily_stats` without a node, `dns_nodes` with a
 * serial `node_id`; `sql/../seed-schema.sql` reconstructs them) converted in place by
 * `migrate`, in the migration's transaction:
 *
 * 1. {@linkcode planSeedConversion} finds them by their tables and columns (a real install
 *    may differ in types, keys and indexes) and counts what they hold; `migrate --dry-run`
 *    prints that plan.
 * 2. {@linkcode moveSeedAside} moves them into schema `dnsa_seed`, with their indexes,
 *    constraints and sequences, so the migrations create this program's tables.
 * 3. {@linkcode convertSeed} copies them in: the registry with its node ids and names; every
 *    query row into the day partitions, marked `origin = 'seed'` and under its node (rows
 *    without one under DNSA_NODE); the seed's daily statistics under that node, until the
 *    rollup rebuilds those days from the rows. Row counts before and after must agree, or
 *    nothing is committed. The seed's tables are then dropped (kept in `dnsa_seed` when
 *    something of the user's, such as a view, depends on them).
 *
 * @module
 */
import type { Tx } from "../db/connect.ts";

/** A table of the seed's install as found. */
export interface SeedTable {
  rows: number;
  columns: Record<string, string>;
}

/** What `migrate` will do with the seed's tables; `problems` block the conversion. */
export interface SeedPlan {
  queries: SeedTable | null;
  dailyStats: SeedTable | null;
  nodes: (SeedTable & { names: string[] }) | null;
  /** The node the query rows without a node_id go to (DNSA_NODE). */
  localNode: string;
  /** Whether DNSA_NODE is one of the seed's node names. */
  localNodeInSeed: boolean;
  firstQueryAt: string | null;
  lastQueryAt: string | null;
  /** Day partitions the rows need (days in DNSA_LOG_TZ). */
  days: number;
  /** Query rows whose node_id is NULL (they go to the local node). */
  rowsWithoutNode: number;
  problems: string[];
  notes: string[];
}

/** What the conversion did. */
export interface SeedResult {
  queriesBefore: number;
  queriesAfter: number;
  dailyStatsBefore: number;
  dailyStatsAfter: number;
  nodes: number;
  localNode: string;
  /** Whether the seed's tables were dropped (else they stay in schema dnsa_seed). */
  dropped: boolean;
}

/** The conversion cannot proceed; the message says what to change. */
export class SeedConversionError extends Error {
  override name = "SeedConversionError";
}

const SEED_TABLES = ["dns_queries", "dns_daily_stats", "dns_nodes"] as const;

async function tableOf(tx: Tx, name: string): Promise<SeedTable | null> {
  const [rel] = await tx<{ kind: string }[]>`
    select c.relkind::text as kind from pg_class c join pg_namespace n on n.oid = c.relnamespace
    where n.nspname = 'public' and c.relname = ${name}`;
  // A partitioned table ('p') is this program's own: only plain tables are the seed's.
  if (!rel || rel.kind !== "r") return null;
  const cols = await tx<{ name: string; type: string }[]>`
    select column_name::text as name, data_type::text as type from information_schema.columns
    where table_schema = 'public' and table_name = ${name} order by ordinal_position`;
  const [{ n }] = await tx.unsafe<{ n: string }[]>(`select count(*) as n from public.${name}`);
  return { rows: Number(n), columns: Object.fromEntries(cols.map((c) => [c.name, c.type])) };
}

/**
 * The seed's tables in this database (schema public), or null when there are none: a
 * database this program already migrated, or an empty one.
 */
export async function planSeedConversion(
  tx: Tx,
  options: { node: string; tz: string },
): Promise<SeedPlan | null> {
  const queries = await tableOf(tx, "dns_queries");
  const dailyStats = await tableOf(tx, "dns_daily_stats");
  const nodesTable = await tableOf(tx, "dns_nodes");
  if (!queries && !dailyStats && !nodesTable) return null;
  const problems: string[] = [];
  const notes: string[] = [];
  if (queries && !("queried_at" in queries.columns && "client_ip" in queries.columns)) {
    problems.push("dns_queries has no queried_at or client_ip column: not the seed's table");
  }
  if (dailyStats && !("stat_date" in dailyStats.columns && "hit_count" in dailyStats.columns)) {
    problems.push("dns_daily_stats has no stat_date or hit_count column: not the seed's table");
  }
  let nodes: SeedPlan["nodes"] = null;
  if (nodesTable) {
    if (!("node_id" in nodesTable.columns && "node_name" in nodesTable.columns)) {
      problems.push("dns_nodes has no node_id or node_name column: not the seed's table");
      nodes = { ...nodesTable, names: [] };
    } else {
      const names = await tx<{ node_name: string; n: number }[]>`
        select node_name, count(*)::int as n from public.dns_nodes group by 1 order by 1`;
      for (const d of names.filter((r) => r.n > 1)) {
        problems.push(
          `dns_nodes holds node_name "${d.node_name}" ${d.n} times: node names must be unique ` +
            "(delete or rename the extra rows, then run migrate again)",
        );
      }
      nodes = { ...nodesTable, names: names.map((r) => r.node_name) };
    }
  }
  let first: string | null = null, last: string | null = null, days = 0, withoutNode = 0;
  if (queries && problems.length === 0) {
    const at = queriedAtExpr(queries, "$1");
    const [r] = await tx.unsafe<
      { first: Date | null; last: Date | null; days: string; without: string }[]
    >(
      `select min(${at}) as first, max(${at}) as last,
         count(distinct (${at} at time zone $1::text)::date) as days,
         ${"node_id" in queries.columns ? "count(*) filter (where s.node_id is null)" : "count(*)"}
           as without
       from public.dns_queries s`,
      [options.tz],
    );
    first = r.first?.toISOString() ?? null;
    last = r.last?.toISOString() ?? null;
    days = Number(r.days);
    withoutNode = Number(r.without);
  }
  const localNodeInSeed = nodes?.names.includes(options.node) ?? false;
  if (withoutNode > 0 && !localNodeInSeed && (nodes?.names.length ?? 0) > 0) {
    notes.push(
      `${withoutNode} query rows have no node_id and go to node "${options.node}" (DNSA_NODE), ` +
        `which is not in the seed's dns_nodes (${nodes!.names.join(", ")}): set DNSA_NODE to ` +
        "this server's name there first if that is what they are",
    );
  }
  if (queries && queries.columns.queried_at === "timestamp without time zone") {
    notes.push(`dns_queries.queried_at has no zone: read as ${options.tz} (DNSA_LOG_TZ)`);
  }
  notes.push(
    "the seed's rows are kept, marked origin = 'seed'; reading BIND's logs (ingest of the " +
      "rotated files, then serve) replaces them wherever the logs still cover their span",
  );
  return {
    queries,
    dailyStats,
    nodes,
    localNode: options.node,
    localNodeInSeed,
    firstQueryAt: first,
    lastQueryAt: last,
    days,
    rowsWithoutNode: withoutNode,
    problems,
    notes,
  };
}

/** queried_at of a seed row as timestamptz (a zoneless column is read in `tzParam`). */
function queriedAtExpr(t: SeedTable, tzParam: string): string {
  return t.columns.queried_at === "timestamp without time zone"
    ? `(s.queried_at at time zone ${tzParam}::text)`
    : "s.queried_at::timestamptz";
}

/** Move the seed's tables into schema dnsa_seed, out of the migrations' way. */
export async function moveSeedAside(tx: Tx, plan: SeedPlan): Promise<void> {
  if (plan.problems.length > 0) {
    throw new SeedConversionError(
      `This database holds the seed guide's tables, which cannot be converted: ` +
        `${plan.problems.join("; ")}. Nothing was changed (see: dns-analytics migrate --dry-run).`,
    );
  }
  await tx`create schema if not exists dnsa_seed`;
  for (const t of SEED_TABLES) {
    if (await tableOf(tx, t)) await tx.unsafe(`alter table public.${t} set schema dnsa_seed`);
  }
}

const col = (t: SeedTable, name: string, cast: string, fallback = "null") =>
  name in t.columns ? `s.${name}::${cast}` : fallback;

/** Copy the seed's rows into this program's tables (after the migrations ran). */
export async function convertSeed(
  tx: Tx,
  plan: SeedPlan,
  options: { node: string; tz: string },
): Promise<SeedResult> {
  if (plan.nodes) {
    const n = plan.nodes;
    await tx.unsafe(
      `insert into dns_nodes (node_id, node_name, node_ip, location, network, active, added_at)
       select s.node_id, s.node_name, ${col(n, "node_ip", "inet")}, ${col(n, "location", "text")},
         ${col(n, "network", "cidr")}, coalesce(${col(n, "active", "boolean")}, true),
         coalesce(${col(n, "added_at", "timestamptz")}, now())
       from dnsa_seed.dns_nodes s`,
    );
    await tx.unsafe(
      `select setval(pg_get_serial_sequence('dns_nodes', 'node_id'),
         greatest((select max(node_id) from dns_nodes), 1))`,
    );
  }
  const [local] = await tx.unsafe<{ node_id: number }[]>(
    `with ins as (insert into dns_nodes (node_name) values ($1)
       on conflict (node_name) do nothing returning node_id)
     select node_id from ins union all select node_id from dns_nodes where node_name = $1 limit 1`,
    [options.node],
  );
  let queriesAfter = 0;
  if (plan.queries) {
    const q = plan.queries;
    await tx.unsafe(
      `select dnsa_ensure_day_partition(d, $1::text)
       from (select distinct (${queriedAtExpr(q, "$1")} at time zone $1::text)::date as d
             from dnsa_seed.dns_queries s) days`,
      [options.tz],
    );
    const at = queriedAtExpr(q, "$2");
    const node = "node_id" in q.columns
      ? "coalesce((select n.node_id from dns_nodes n where n.node_id = s.node_id), $1)"
      : "$1";
    // Staged, then packed into blocks (migration 0027) in one statement.
    await tx.unsafe(
      `insert into dns_query_staged (queried_at, client_ip, client_port, domain, apex_domain,
         qtype, flags, response_rcode, cached, node_id, rcode_source, origin)
       select ${at}, s.client_ip::inet, ${col(q, "client_port", "integer")},
         ${col(q, "domain", "text")}, ${col(q, "apex_domain", "text")},
         ${col(q, "qtype", "text")}, ${col(q, "flags", "text")},
         ${col(q, "response_rcode", "text")}, ${col(q, "cached", "boolean")}, ${node},
         case when ${col(q, "response_rcode", "text")} is not null then 'seed' end, 'seed'
       from dnsa_seed.dns_queries s
       where $2::text is not null`,
      [local.node_id, options.tz],
    );
    await tx`select dnsa_pack_rows('dns_query_staged'::regclass)`;
    const [c] = await tx<{ n: string }[]>`
      select count(*) as n from dns_queries where origin = 'seed'`;
    queriesAfter = Number(c.n);
    await tx`
      insert into rollup_dirty (node_id, stat_hour, seq)
      select node_id, h, nextval('rollup_dirty_seq')
      from (select distinct node_id, date_trunc('hour', queried_at, ${options.tz}::text) as h
            from dns_queries where origin = 'seed') t
      on conflict (node_id, stat_hour) do update set seq = excluded.seq`;
    await tx`
      insert into dns_seed_spans (node_id, first_at, last_at, rows)
      select node_id, min(queried_at), max(queried_at), count(*)
      from dns_queries where origin = 'seed' group by node_id`;
  }
  let dailyAfter = 0;
  if (plan.dailyStats) {
    const d = plan.dailyStats;
    const midnight = "(s.stat_date::date::timestamp at time zone $2::text)";
    const hits = "coalesce(s.hit_count, 0)::bigint";
    const nx = `coalesce(${col(d, "nxdomain_count", "bigint")}, 0)`;
    const sf = `coalesce(${col(d, "servfail_count", "bigint")}, 0)`;
    const r = await tx.unsafe(
      `insert into dns_daily_stats (stat_date, domain, apex_domain, qtype, hit_count,
         unique_clients, nxdomain_count, servfail_count, first_seen, last_seen, node_name,
         noerror_count, refused_count, other_count, unknown_count, client_hashes)
       select s.stat_date::date, ${col(d, "domain", "text")}, ${col(d, "apex_domain", "text")},
         ${col(d, "qtype", "text")}, ${hits}, coalesce(${col(d, "unique_clients", "integer")}, 0),
         ${nx}, ${sf}, coalesce(${col(d, "first_seen", "timestamptz")}, ${midnight}),
         coalesce(${col(d, "last_seen", "timestamptz")}, ${midnight}), $1,
         greatest(${hits} - ${nx} - ${sf}, 0), 0, 0, 0, '{}'::bigint[]
       from dnsa_seed.dns_daily_stats s`,
      [options.node, options.tz],
    );
    dailyAfter = r.count;
  }
  const queriesBefore = plan.queries?.rows ?? 0;
  const dailyBefore = plan.dailyStats?.rows ?? 0;
  if (queriesAfter !== queriesBefore || dailyAfter !== dailyBefore) {
    throw new SeedConversionError(
      `The seed's rows did not all convert (dns_queries ${queriesBefore} → ${queriesAfter}, ` +
        `dns_daily_stats ${dailyBefore} → ${dailyAfter}): nothing was changed.`,
    );
  }
  // Drop the seed's tables unless something of the user's still depends on them.
  let dropped = true;
  try {
    await tx.savepoint(async (sp) => {
      await sp.unsafe(
        "drop table if exists dnsa_seed.dns_queries, dnsa_seed.dns_daily_stats, " +
          "dnsa_seed.dns_nodes",
      );
      await sp`drop schema if exists dnsa_seed`;
    });
  } catch (error) {
    if ((error as { code?: string }).code !== "2BP01") throw error; // dependent_objects_still_exist
    dropped = false;
  }
  const result: SeedResult = {
    queriesBefore,
    queriesAfter,
    dailyStatsBefore: dailyBefore,
    dailyStatsAfter: dailyAfter,
    nodes: plan.nodes?.rows ?? 0,
    localNode: options.node,
    dropped,
  };
  await tx`insert into dnsa_settings (key, value)
    values ('seed_converted', ${JSON.stringify({ ...result, at: new Date().toISOString() })})
    on conflict (key) do update set value = excluded.value`;
  return result;
}
