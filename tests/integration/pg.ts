/**
 * Test support for the PostgreSQL path: a fresh database per test (created and dropped on
 * the server named by DNSA_TEST_DATABASE_URL), and the program run as a subprocess.
 *
 * @module
 */
import postgres from "postgres";

const MAIN = new URL("../../main.ts", import.meta.url).pathname;

/** The admin URL of the test server; the PostgreSQL tests need it. */
export function adminUrl(): string {
  const url = Deno.env.get("DNSA_TEST_DATABASE_URL");
  if (!url) {
    throw new Error(
      "DNSA_TEST_DATABASE_URL is not set: the PostgreSQL tests need a server " +
        "(e.g. postgres://postgres:postgres@127.0.0.1:5432/postgres); .ci/run sets it",
    );
  }
  return url;
}

/** A fresh database for one test. */
export interface TestDb {
  url: string;
  sql: postgres.Sql;
  /** Run `dns-analytics args...` against this database. */
  run(args: string[], env?: Record<string, string>): Promise<RunResult>;
  drop(): Promise<void>;
}

/** Outcome of a subprocess run. */
export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
  /** The last stdout line parsed as JSON, when it is JSON. */
  json: Record<string, unknown> | null;
}

/** Run the program with `env` (nothing of the parent's DNSA_/DB_ keys leaks in). */
export async function runProgram(args: string[], env: Record<string, string>): Promise<RunResult> {
  const clean: Record<string, string> = {};
  for (const [k, v] of Object.entries(Deno.env.toObject())) {
    if (!k.startsWith("DNSA_") && !k.startsWith("DB_") && k !== "DATABASE_URL") clean[k] = v;
  }
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", MAIN, ...args],
    env: { ...clean, NO_COLOR: "1", ...env },
    clearEnv: true,
    stdout: "piped",
    stderr: "piped",
  }).output();
  const stdout = new TextDecoder().decode(out.stdout);
  const stderr = new TextDecoder().decode(out.stderr);
  const last = stdout.trimEnd().split("\n").at(-1) ?? "";
  let json: Record<string, unknown> | null = null;
  try {
    json = JSON.parse(last);
  } catch {
    json = null;
  }
  return { code: out.code, stdout, stderr, json };
}

/** Create a database `dnsa_test_…` and return it; call drop() in a finally. */
export async function createTestDb(): Promise<TestDb> {
  const admin = postgres(adminUrl(), { max: 1, onnotice: () => {} });
  const name = `dnsa_test_${Date.now().toString(36)}_${Math.floor(Math.random() * 1e6)}`;
  await admin.unsafe(`create database ${name}`);
  const u = new URL(adminUrl());
  u.pathname = `/${name}`;
  const url = u.toString();
  const sql = postgres(url, { max: 2, onnotice: () => {} });
  return {
    url,
    sql,
    run: (args, env = {}) =>
      runProgram(args, { DATABASE_URL: url, DNSA_LOG_TZ: "UTC", DNSA_NODE: "test", ...env }),
    async drop() {
      await sql.end({ timeout: 5 });
      await admin.unsafe(`drop database if exists ${name} with (force)`);
      await admin.end({ timeout: 5 });
    },
  };
}
