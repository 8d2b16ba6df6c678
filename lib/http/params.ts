/**
 * The range and filter parameters every `/api/...` data endpoint takes, validated with zod:
 * `days` (the last N days, today included, in DNSA_LOG_TZ) or `from`/`to` (YYYY-MM-DD,
 * inclusive), `node` (names, comma-separated), `limit`, `format` (json or csv). Without a
 * range: the last 7 days.
 *
 * @example
 * ```ts
 * const p = parseRangeParams(new URL("http://x/api/reports/top-domains?days=30").searchParams, {
 *   tz: "UTC",
 * });
 * if (p.ok) console.log(p.value.from, p.value.to);
 * ```
 * @module
 */
import { z } from "zod";
import { reportDays } from "../report.ts";

/** Validated parameters, with the range resolved to two days. */
export interface RangeParams {
  /** First day, `YYYY-MM-DD`, inclusive. */
  from: string;
  /** Last day, `YYYY-MM-DD`, inclusive. */
  to: string;
  /** Node names; null = all nodes. */
  nodes: string[] | null;
  /** Only the nodes at this location; absent = any. */
  location?: string;
  /** Only the nodes in this network (CIDR); absent = any. */
  network?: string;
  limit: number | undefined;
  format: "json" | "csv";
}

/** A parameter that is not valid: `param` names it. */
export interface ParamError {
  ok: false;
  param: string;
  message: string;
}

/** The days without a range. */
export const DEFAULT_DAYS = 7;

const NODE_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$/;

function isDate(text: string): boolean {
  return /^\d{4}-\d{2}-\d{2}$/.test(text) &&
    !Number.isNaN(Date.parse(`${text}T00:00:00Z`)) &&
    new Date(`${text}T00:00:00Z`).toISOString().slice(0, 10) === text;
}

const DATE = z.string().refine(isDate, { error: "must be a date YYYY-MM-DD" });
const INT = (min: number, max: number) =>
  z.string().regex(/^\d{1,9}$/, { error: `must be a whole number ${min}-${max}` })
    .transform(Number).pipe(
      z.number().int().min(min, { error: `must be at least ${min}` }).max(max, {
        error: `must be at most ${max}`,
      }),
    );

const schema = z.object({
  days: INT(1, 36500).optional(),
  from: DATE.optional(),
  to: DATE.optional(),
  node: z.string().optional().transform((s, ctx) => {
    if (s === undefined || s.trim() === "") return null;
    const names = s.split(",").map((n) => n.trim()).filter(Boolean);
    for (const n of names) {
      if (!NODE_NAME.test(n)) {
        ctx.addIssue({ code: "custom", message: `${JSON.stringify(n)} is not a node name` });
        return z.NEVER;
      }
    }
    return names;
  }),
  location: z.string().trim().min(1).max(200).optional(),
  network: z.union([z.cidrv4(), z.cidrv6(), z.ipv4(), z.ipv6()], {
    error: "must be a network in CIDR notation, e.g. 10.10.10.0/24",
  }).optional(),
  limit: INT(1, 10000).optional(),
  format: z.enum(["json", "csv"], { error: "must be json or csv" }).optional(),
});

function dayNumber(day: string): number {
  return Math.floor(Date.parse(`${day}T00:00:00Z`) / 86_400_000);
}

function dayText(n: number): string {
  return new Date(n * 86_400_000).toISOString().slice(0, 10);
}

/** Validate `params`; a repeated parameter counts by its first value. */
export function parseRangeParams(
  params: URLSearchParams,
  options: { tz: string; now?: Date },
): { ok: true; value: RangeParams } | ParamError {
  const raw: Record<string, string> = {};
  for (const key of ["days", "from", "to", "node", "location", "network", "limit", "format"]) {
    const v = params.get(key);
    if (v !== null) raw[key] = v;
  }
  const result = schema.safeParse(raw);
  if (!result.success) {
    const issue = result.error.issues[0];
    const param = String(issue.path[0] ?? "query");
    return { ok: false, param, message: `${param}: ${issue.message}` };
  }
  const v = result.data;
  if (v.days !== undefined && (v.from !== undefined || v.to !== undefined)) {
    return { ok: false, param: "days", message: "days: give either days or from/to, not both" };
  }
  const [today] = reportDays({ days: 1, tz: options.tz, now: options.now });
  let from: string, to: string;
  if (v.from === undefined && v.to === undefined) {
    [from, to] = reportDays({ days: v.days ?? DEFAULT_DAYS, tz: options.tz, now: options.now })
      .map((d) => d!) as [string, string];
  } else {
    to = v.to ?? today!;
    from = v.from ?? dayText(dayNumber(to) - (DEFAULT_DAYS - 1));
  }
  if (from > to) return { ok: false, param: "from", message: "from: must not be after to" };
  if (dayNumber(to) - dayNumber(from) >= 36500) {
    return { ok: false, param: "from", message: "from: the range may span at most 36500 days" };
  }
  return {
    ok: true,
    value: {
      from,
      to,
      nodes: v.node ?? null,
      limit: v.limit,
      format: v.format ?? "json",
      ...(v.location ? { location: v.location } : {}),
      ...(v.network ? { network: v.network } : {}),
    },
  };
}
