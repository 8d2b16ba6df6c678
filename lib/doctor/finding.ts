/**
 * One line of `dns-analytics doctor`'s output: what was checked, how it went, what to change.
 *
 * @module
 */

/** How bad a finding is: `FAIL` makes doctor exit 1. */
export type FindingLevel = "ok" | "warn" | "FAIL";

/** One line of doctor's output. */
export interface Finding {
  level: FindingLevel;
  /** What was checked: `config`, `database`, `named.conf queries`… */
  check: string;
  /** What was found and, unless ok, what to change. */
  message: string;
}

/** `FAIL  database: …`: the level padded so the messages line up. */
export function formatFinding(f: Finding): string {
  return `${f.level.padEnd(4)}  ${f.check}: ${f.message}`;
}
