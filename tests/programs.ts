/**
 * Test support: the programs some tests run (xz, bash, promtool, shellcheck, ...). A test whose
 * program is not installed is ignored and says so on stderr, so `deno task test` passes where
 * only Deno is; `.ci/run` installs every program and fails on any ignored test.
 *
 * @example
 * ```ts
 * Deno.test("deploy/install.sh: shellcheck accepts it", { ignore: missing("shellcheck") }, ...);
 * ```
 * @module
 */
import { join } from "node:path";

/** True when `name` runs here: an absolute path to an executable, or one found on PATH. */
export function haveProgram(name: string): boolean {
  const dirs = name.includes("/") ? [""] : (Deno.env.get("PATH") ?? "").split(":");
  return dirs.some((dir) => {
    try {
      const info = Deno.statSync(dir === "" ? name : join(dir, name));
      return info.isFile && ((info.mode ?? 0o111) & 0o111) !== 0;
    } catch {
      return false;
    }
  });
}

const told = new Set<string>();

/**
 * True when one of `names` is not installed: the value of a test's `ignore`. Says which
 * program is missing, once per program.
 */
export function missing(...names: string[]): boolean {
  const gone = names.filter((n) => !haveProgram(n));
  for (const name of gone) {
    if (told.has(name)) continue;
    told.add(name);
    console.error(`tests that run ${name} are ignored: ${name} is not installed`);
  }
  return gone.length > 0;
}
