/**
 * The files of a rotated set: ordering them oldest first, whatever the argument order, and
 * telling the live file from its rotated versions.
 *
 * BIND's `suffix increment` gives `x.N` … `x.0`, `x` (oldest = highest number); its
 * `suffix timestamp` gives `x.YYYYMMDDHHMMSSmmm`; logrotate gives `x.N[.gz]` and, with
 * `dateext`, `x-YYYYMMDD[.gz]`. Files of one set are read timestamped (oldest first), then
 * numbered (highest first), then the live `x`. Sets keep the order of their first argument.
 *
 * @module
 */
import { basename, dirname, join } from "node:path";
import { readdir } from "node:fs/promises";

interface Classified {
  path: string;
  base: string;
  /** 0 timestamped/dated, 1 numbered, 2 the live file. */
  rank: number;
  key: number;
}

const TIMESTAMP = /^(.*)\.(\d{17})(\.gz)?$/; // BIND suffix timestamp: UTC ms
const DATEEXT = /^(.*)-(\d{8}(?:\d{2})?)(\.gz)?$/; // logrotate dateext
const NUMBERED = /^(.*)\.(\d{1,6})(\.gz)?$/;
const GZ = /^(.*)\.gz$/;

function classify(path: string): Classified {
  const dir = dirname(path);
  const name = basename(path);
  let m = TIMESTAMP.exec(name);
  if (m) return { path, base: join(dir, m[1]), rank: 0, key: Number(m[2]) };
  m = DATEEXT.exec(name);
  if (m) return { path, base: join(dir, m[1]), rank: 0, key: Number(m[2].padEnd(17, "0")) };
  m = NUMBERED.exec(name);
  if (m) return { path, base: join(dir, m[1]), rank: 1, key: -Number(m[2]) };
  m = GZ.exec(name);
  if (m) return { path, base: join(dir, m[1]), rank: 2, key: 0 };
  return { path, base: join(dir, name), rank: 2, key: 0 };
}

/** The paths in reading order: each rotated set oldest first, sets in argument order. */
export function orderRotatedFiles(paths: readonly string[]): string[] {
  const sets = new Map<string, Classified[]>();
  for (const p of paths) {
    const c = classify(p);
    const set = sets.get(c.base);
    if (set) {
      if (!set.some((x) => x.path === p)) set.push(c);
    } else sets.set(c.base, [c]);
  }
  const out: string[] = [];
  for (const set of sets.values()) {
    set.sort((a, b) => a.rank - b.rank || a.key - b.key);
    for (const c of set) out.push(c.path);
  }
  return out;
}

/**
 * The files of the rotated set of `path` that exist now (`path` itself, `path.N[.gz]`,
 * `path.TIMESTAMP[.gz]`, `path-YYYYMMDD[.gz]`), oldest first.
 */
export async function listRotatedSet(path: string): Promise<string[]> {
  const dir = dirname(path);
  const name = basename(path);
  const names = await readdir(dir);
  const own = names.filter((n) => {
    if (n === name) return true;
    if (!n.startsWith(name)) return false;
    const c = classify(join(dir, n));
    return c.base === path || c.base === join(dir, name);
  });
  return orderRotatedFiles(own.map((n) => join(dir, n)));
}

/**
 * Whether `path` names a rotated version (`x.N`, `x.TIMESTAMP`, `x-YYYYMMDD`, any `.gz`)
 * rather than the live file a writer appends to.
 */
export function isRotatedFile(path: string): boolean {
  return classify(path).rank < 2 || path.endsWith(".gz");
}

/** How long a rotated file must be unchanged before its end is final. */
export const FINAL_AFTER_MS = 5_000;

/**
 * Whether what the file at `path` ends with is final, an unfinished last line or frame
 * included: a rotated version nobody wrote to for {@linkcode FINAL_AFTER_MS}. (A copy still
 * being made, logrotate's copytruncate, is rotated by name but still growing.)
 */
export function isFinalFile(path: string, mtime: Date | null, now: number): boolean {
  return isRotatedFile(path) && mtime !== null && now - mtime.getTime() >= FINAL_AFTER_MS;
}
