/**
 * The libpq password file (`~/.pgpass`, or the file `PGPASSFILE` names), so a peer's URL
 * never needs to carry a password: `hostname:port:database:username:password` lines, `*`
 * matching anything, `\:` and `\\` escaped. As libpq does, a file that group or others may
 * read is ignored.
 *
 * @example
 * ```ts
 * const pass = await pgpassPassword(
 *   { host: "10.10.10.250", port: 5432, database: "dns_analytics", user: "dns_reader" },
 *   { env: Deno.env.toObject() },
 * );
 * ```
 * @module
 */

/** What a password is looked up for. */
export interface PgpassTarget {
  host: string;
  port: number;
  database: string;
  user: string;
}

/** Split one line into its fields, undoing `\:` and `\\`. */
export function parsePgpassLine(line: string): string[] | null {
  if (line.trim() === "" || line.startsWith("#")) return null;
  const fields: string[] = [];
  let cur = "";
  for (let i = 0; i < line.length; i++) {
    const ch = line[i];
    if (ch === "\\" && i + 1 < line.length) cur += line[++i];
    else if (ch === ":" && fields.length < 4) {
      fields.push(cur);
      cur = "";
    } else cur += ch;
  }
  fields.push(cur);
  return fields.length === 5 ? fields : null;
}

/** The password of the first line of `text` that matches `target`, or null. */
export function matchPgpass(text: string, target: PgpassTarget): string | null {
  const want = [target.host, String(target.port), target.database, target.user];
  for (const raw of text.split(/\r?\n/)) {
    const f = parsePgpassLine(raw);
    if (!f) continue;
    if (want.every((w, i) => f[i] === "*" || f[i] === w)) return f[4];
  }
  return null;
}

/** The password for `target` from PGPASSFILE or ~/.pgpass; null when none matches. */
export async function pgpassPassword(
  target: PgpassTarget,
  options: { env: Record<string, string | undefined> },
): Promise<string | null> {
  const file = options.env.PGPASSFILE ??
    (options.env.HOME ? `${options.env.HOME}/.pgpass` : null);
  if (!file) return null;
  try {
    const info = await Deno.stat(file);
    if (!info.isFile || (info.mode !== null && (info.mode & 0o077) !== 0)) return null;
    return matchPgpass(await Deno.readTextFile(file), target);
  } catch {
    return null;
  }
}
