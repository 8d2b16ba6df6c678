/**
 * SQL generators of the rollup benchmark (tests/rollup_bench.ts): one day of raw queries of
 * one node, orphan query-errors lines, and 30 days of statistics rows as the rollup of about
 * 1M queries a day would leave them. Everything runs inside PostgreSQL (generate_series), so
 * millions of rows take seconds. Run the statements on one connection after
 * `select setseed(...)` for the same rows each time.
 *
 * Names follow one scheme everywhere: popular names `n<k>.example<k % 500>.com` (apex the last
 * two labels), clients 10.0.x.y (every tenth an IPv6 address fd00:10::<hex>).
 *
 * @module
 */

/** Clients of the generated traffic (client numbers 1..CLIENTS). */
export const CLIENTS = 2000;

/** SQL of client number `c` (an integer expression) as an inet: 10.x.y.z, every 10th IPv6. */
export function clientIpSql(c: string): string {
  return `(case when (${c}) % 10 = 7 then ('fd00:10::' || to_hex(${c}))::inet
    else ('10.' || (${c}) / 65536 % 256 || '.' || (${c}) / 256 % 256 || '.' || (${c}) % 256)::inet
    end)`;
}

function int(name: string, n: number): number {
  if (!Number.isSafeInteger(n) || n < 0) throw new Error(`${name}: not an integer: ${n}`);
  return n;
}

function date(name: string, d: string): string {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(d)) throw new Error(`${name}: not a date: ${d}`);
  return d;
}

/**
 * Insert `rows` queries of node `nodeId` into dns_queries, spread evenly over `day` (UTC; its
 * partition must exist), in time order as a log would be read: clients skewed (client
 * floor(2000 u^2) + 1), names log-uniform over 200,000 ranks (Zipf, s = 1), qtypes A 50 %,
 * AAAA 28 %, HTTPS 12 %, PTR 6 %, MX/TXT/SRV/NS 4 %, rcode NULL 94 % (the query log says
 * nothing), SERVFAIL 4 %, REFUSED 2 %, and the other columns as ingest fills them.
 */
export function rawDaySql(opts: { day: string; rows: number; nodeId: number }): string {
  const day = date("day", opts.day), rows = int("rows", opts.rows);
  const node = int("nodeId", opts.nodeId);
  return `insert into dns_queries (queried_at, client_ip, client_port, domain, apex_domain, qtype,
  flags, response_rcode, cached, node_id, qclass, view, transport, recursion_desired,
  edns_version, dnssec_ok, checking_disabled, server_ip)
select timestamptz '${day} 00:00:00+00' + (g - 1) * (86400.0 / ${rows}) * interval '1 second',
  ${clientIpSql("c")}, 1024 + floor(r4 * 64000)::int,
  'n' || k || '.example' || (k % 500) || '.com', 'example' || (k % 500) || '.com',
  case when r2 < 0.50 then 'A' when r2 < 0.78 then 'AAAA' when r2 < 0.90 then 'HTTPS'
    when r2 < 0.96 then 'PTR' when r2 < 0.975 then 'MX' when r2 < 0.99 then 'TXT'
    when r2 < 0.995 then 'SRV' else 'NS' end,
  case when r4 < 0.3 then '+E(0)K' when r4 < 0.6 then '+E(0)DK' else '+' end,
  case when r3 < 0.94 then null when r3 < 0.98 then 'SERVFAIL' else 'REFUSED' end,
  null, ${node}, 'IN', '_default', case when r4 < 0.97 then 'UDP' else 'TCP' end, true,
  case when r4 < 0.6 then 0 end, r4 < 0.3 and r3 < 0.5, false, '10.255.0.1'::inet
from (
  select g, floor(exp(random() * ln(200000)))::int as k,
    floor(pow(random(), 2.0) * ${CLIENTS})::int + 1 as c,
    random() as r2, random() as r3, random() as r4
  from generate_series(1, ${rows}) g
) s`;
}

/**
 * Insert up to `orphans` orphan query-errors lines (kind failed, SERVFAIL, joined to no query)
 * of node `nodeId` on `day`: queries whose query-log line was lost, so each names a (domain,
 * qtype) the day's queries also have (a sample of them, 1.5 s later; random() as seeded
 * by the caller's setseed).
 */
export function orphanSql(opts: { day: string; orphans: number; rows: number; nodeId: number }) {
  const day = date("day", opts.day), orphans = int("orphans", opts.orphans);
  const node = int("nodeId", opts.nodeId);
  const pct = Math.min(100, (100 * 1.5 * orphans) / Math.max(1, int("rows", opts.rows)));
  return `insert into dns_query_errors (logged_at, node_id, kind, client_ip, client_port, domain,
  qclass, qtype, view, reason, response_rcode, matched_query_at, apex_domain)
select queried_at + interval '1.5 seconds', node_id, 'failed', client_ip, client_port, domain,
  'IN', qtype, view, 'SERVFAIL', 'SERVFAIL', null, apex_domain
from dns_queries
where random() < ${(pct / 100).toFixed(8)} and node_id = ${node}
  and queried_at >= '${day} 00:00:00+00'
  and queried_at < timestamptz '${day} 00:00:00+00' + interval '86398 seconds'
limit ${orphans}`;
}

/** Shape of the statistics {@linkcode statsSql} generates. */
export interface StatsShape {
  /** First day, `YYYY-MM-DD` (UTC). */
  firstDay: string;
  days: number;
  /** Popular names (ranks 1..popular) queried every day, hits ∝ 1/rank. */
  popular: number;
  /** One-off names a day and node (1-3 hits each). */
  tail: number;
  /** Queries a day and node (approximately). */
  queriesPerDay: number;
}

/**
 * Statements that fill every statistics table (dns_daily_stats, dns_daily_domains,
 * dns_daily_apexes, dns_daily_clients, dns_daily_qtypes, dns_daily_totals, dns_hourly_totals,
 * dns_domains_seen; not dns_hourly_stats, which no report reads) for `shape.days` days and the
 * nodes `:nodes` (text[]), as the rollup of `shape.queriesPerDay` queries a day would: `:pool` is
 * the sorted bigint[] of the CLIENTS clients' hashes (hashinetextended(ip, 0)); a row with u
 * clients takes min(u, 256) of them, evenly spaced from a random phase, so its client_hashes
 * is sorted, distinct and recurs across days as real clients do. Run in order, each through
 * {@linkcode bindNamed}.
 */
export function statsSql(shape: StatsShape): { name: string; sql: string }[] {
  const first = date("firstDay", shape.firstDay);
  const days = int("days", shape.days), popular = int("popular", shape.popular);
  const tail = int("tail", shape.tail), q = int("queriesPerDay", shape.queriesPerDay);
  const tailHits = tail * 1.3;
  // Zipf (s = 1) over the popular ranks: C / k, C so that the day sums to queriesPerDay.
  const c = Math.max(0, q - tailHits) / (Math.log(Math.max(1, popular)) + 0.5772);
  const hashes = (u: string, phase: string) =>
    `array(select (:pool::bigint[])[1 + floor((j - 1 + ${phase}) * ${CLIENTS}.0 / ${u})::int]
      from generate_series(1, least(${u}, 256)) j)`;
  // `+ 0 * di` below: a lateral subquery that does not name the day is evaluated once and
  // would repeat the first day's random numbers every day.
  const scope = `generate_series(0, ${days - 1}) di
    cross join unnest(:nodes::text[]) with ordinality nd(node, ni)`;
  const t0 = `((date '${first}' + di)::timestamp at time zone 'UTC')`;
  return [
    {
      name: "dns_daily_domains (popular)",
      sql: `insert into dns_daily_domains
select day, node, domain, apex, h, u, h - nx - sf - rf, nx, sf, rf, 0, 0,
  t0 + make_interval(secs => 900 * r1), t0 + make_interval(secs => 86399 - 900 * r2),
  ${hashes("u", "r3")}
from (
  select date '${first}' + di as day, node, ${t0} as t0,
    'n' || k || '.example' || (k % 500) || '.com' as domain, 'example' || (k % 500) || '.com' as apex,
    h, greatest(1, least(h, round(${CLIENTS} * (1 - exp(-h / 3000.0)))))::int as u,
    floor(h * 0.02 * random())::bigint as nx, floor(h * 0.08 * random())::bigint as sf,
    floor(h * 0.04 * random())::bigint as rf, random() as r1, random() as r2, random() as r3
  from ${scope} cross join lateral (
    select k, greatest(1, round(${c.toFixed(3)} / k * (0.7 + 0.6 * random())))::bigint as h
    from generate_series(1, ${popular} + 0 * di) k) p
) s`,
    },
    {
      name: "dns_daily_domains (one-off)",
      sql: `insert into dns_daily_domains
select day, node, domain, apex, h, h, h - nx - sf, nx, sf, 0, 0, 0, f, f + make_interval(secs => (h - 1) * 40 * r2),
  ${hashes("h", "r3")}
from (
  select date '${first}' + di as day, node, ${t0} + make_interval(secs => 86000 * random()) as f,
    case when i % 4 = 0 then 'x' || i || '-' || to_char(date '${first}' + di, 'YYYYMMDD') || ni || '.org'
      else 'u' || i || '-' || to_char(date '${first}' + di, 'YYYYMMDD') || ni || '.tail' || (i % 997) || '.net'
    end as domain,
    case when i % 4 = 0 then 'x' || i || '-' || to_char(date '${first}' + di, 'YYYYMMDD') || ni || '.org'
      else 'tail' || (i % 997) || '.net' end as apex,
    h, case when r1 < 0.3 then h else 0 end as nx, case when r1 > 0.95 then h else 0 end as sf,
    random() as r2, random() as r3
  from ${scope} cross join lateral (
    select i, 1 + (r < 0.25)::int + (r < 0.05)::int as h, random() as r1
    from (select i, random() as r from generate_series(1, ${tail} + 0 * di) i) t) p
) s`,
    },
    {
      name: "dns_daily_stats",
      sql: `insert into dns_daily_stats (stat_date, domain, apex_domain, qtype, hit_count,
  unique_clients, nxdomain_count, servfail_count, first_seen, last_seen, node_name, noerror_count,
  refused_count, other_count, unknown_count, client_hashes)
select stat_date, domain, apex_domain, qt, n, least(unique_clients, n), case when a then nxdomain_count else 0 end,
  case when a then servfail_count else 0 end, first_seen, last_seen, node_name,
  case when a then n - nxdomain_count - servfail_count - refused_count else n end,
  case when a then refused_count else 0 end, 0, 0,
  client_hashes[1:least(unique_clients, n, 256)]
from dns_daily_domains d cross join lateral (values
  ('A', hit_count - floor(hit_count * 0.3)::bigint - floor(hit_count * 0.15)::bigint, true),
  ('AAAA', floor(hit_count * 0.3)::bigint, false),
  ('HTTPS', floor(hit_count * 0.15)::bigint, false)) v(qt, n, a)
where n > 0`,
    },
    {
      name: "dns_daily_apexes",
      sql: `insert into dns_daily_apexes
select stat_date, node_name, apex_domain, h, u, n, noerror, nx, sf, rf, 0, 0, ${
        hashes("u", "random()")
      }
from (
  select stat_date, node_name, apex_domain, sum(hit_count) as h,
    least(${CLIENTS}, max(unique_clients) + (sum(unique_clients) - max(unique_clients)) / 4)::int as u,
    count(*) as n, sum(noerror_count) as noerror, sum(nxdomain_count) as nx,
    sum(servfail_count) as sf, sum(refused_count) as rf
  from dns_daily_domains group by 1, 2, 3
) a`,
    },
    {
      name: "dns_daily_clients",
      sql: `insert into dns_daily_clients
select day, node, ${clientIpSql("c")}, h,
  greatest(1, least(h, round(${popular + tail} * (1 - exp(-h / 20000.0)))))::int,
  h - nx - sf - rf, nx, sf, rf, 0, 0,
  ${t0} + make_interval(secs => 3600 * random()), ${t0} + make_interval(secs => 86399 - 3600 * random())
from (
  select di, date '${first}' + di as day, node, c,
    greatest(1, round(${q} / pow(c, 0.9) / z.z * (0.8 + 0.4 * random())))::bigint as h
  from ${scope} cross join generate_series(1, ${CLIENTS}) c
    cross join (select sum(1 / pow(x, 0.9)) as z from generate_series(1, ${CLIENTS}) x) z
) s cross join lateral (select floor(h * 0.02 * random())::bigint as nx,
  floor(h * 0.08 * random())::bigint as sf, floor(h * 0.04 * random())::bigint as rf) r`,
    },
    {
      name: "dns_daily_qtypes",
      sql: `insert into dns_daily_qtypes
select t.stat_date, t.node_name, qt, n, least(${CLIENTS}, round(${CLIENTS} * (0.2 + share)))::int,
  n - floor(n * 0.07)::bigint, floor(n * 0.01)::bigint, floor(n * 0.04)::bigint,
  floor(n * 0.02)::bigint, 0, 0
from (select stat_date, node_name, sum(hit_count) as h from dns_daily_domains group by 1, 2) t
  cross join lateral (values ('A', 0.50), ('AAAA', 0.28), ('HTTPS', 0.12), ('PTR', 0.06),
    ('MX', 0.015), ('TXT', 0.015), ('SRV', 0.005), ('NS', 0.005)) v(qt, share)
  cross join lateral (select round(t.h * share)::bigint as n) x`,
    },
    {
      name: "dns_daily_totals",
      sql: `insert into dns_daily_totals
select stat_date, node_name, sum(hit_count), ${CLIENTS}, count(*), sum(noerror_count),
  sum(nxdomain_count), sum(servfail_count), sum(refused_count), sum(other_count),
  sum(unknown_count), (:pool::bigint[])[1:256]
from dns_daily_domains group by 1, 2`,
    },
    {
      name: "dns_hourly_totals",
      sql: `insert into dns_hourly_totals
select t0 + make_interval(hours => hr), node_name, n, u, least(n, round(t.unique_domains * w * 4))::int,
  n - floor(n * 0.07)::bigint, floor(n * 0.01)::bigint, floor(n * 0.04)::bigint,
  floor(n * 0.02)::bigint, 0, 0, ${hashes("u", "random()")}
from (select *, (stat_date::timestamp at time zone 'UTC') as t0 from dns_daily_totals) t
  cross join generate_series(0, 23) hr
  cross join lateral (select (0.6 + 0.4 * sin((hr - 9) * pi() / 12)) / 14.4 as w) wt
  cross join lateral (select round(t.hit_count * w)::bigint as n,
    least(${CLIENTS}, round(${CLIENTS} * (0.5 + 0.4 * sin((hr - 9) * pi() / 12))))::int as u) x`,
    },
    {
      name: "dns_domains_seen",
      sql: `insert into dns_domains_seen
select node_name, domain, max(apex_domain),
  case when domain like 'n%' then min(first_seen) - make_interval(days => 30 + (hashtext(domain) & 255))
    else min(first_seen) end, max(last_seen)
from dns_daily_domains group by 1, 2`,
    },
  ];
}

/** `:name` placeholders of `text` → `$1, $2, ...` and the values in that order. */
export function bindNamed(
  text: string,
  values: Record<string, unknown>,
): { sql: string; params: unknown[] } {
  const order: string[] = [];
  const sql = text.replace(/(?<!:):([a-z]+)\b/g, (whole, name: string) => {
    if (!(name in values)) return whole;
    if (!order.includes(name)) order.push(name);
    return `$${order.indexOf(name) + 1}`;
  });
  return { sql, params: order.map((n) => values[n]) };
}
