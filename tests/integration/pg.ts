/**
 * Test support for the PostgreSQL path: a fresh database per test (created and dropped on
 * the server named by DNSA_TEST_DATABASE_URL), and the program run as a subprocess.
 *
 * @module
 */
import postgres from "postgres";
import { gunzipSync } from "node:zlib";
import { NO_DELAY_OPTIONS } from "../../lib/db/socket.ts";
import { FINGERPRINT_BYTES, fingerprintBytes } from "../../lib/tail/fingerprint.ts";
import { listRotatedSet } from "../../lib/tail/file_set.ts";

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

/** The environment without configuration keys (the test runner's DNSA_TEST_* included). */
export function cleanEnv(): Record<string, string> {
  const clean: Record<string, string> = {};
  for (const [k, v] of Object.entries(Deno.env.toObject())) {
    if (!k.startsWith("DNSA_") && !k.startsWith("DB_") && k !== "DATABASE_URL") clean[k] = v;
  }
  return clean;
}

/**
 * Start `dns-analytics serve` with `env` (and nothing of the parent's configuration). HTTP
 * listens on a free loopback port unless `env` names DNSA_HTTP, so several can run at once.
 */
export function startServe(
  env: Record<string, string>,
  options: { stderr?: "piped" | "null" } = {},
): Deno.ChildProcess {
  return new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", MAIN, "serve"],
    env: { ...cleanEnv(), NO_COLOR: "1", DNSA_HTTP: "127.0.0.1:0", ...env },
    clearEnv: true,
    stdout: "null",
    stderr: options.stderr ?? "piped",
  }).spawn();
}

/** Everything a child wrote to its piped stderr, once it has exited. */
export async function stderrOf(child: Deno.ChildProcess): Promise<string> {
  return new TextDecoder().decode(await new Response(child.stderr).arrayBuffer());
}

/**
 * A TCP proxy on loopback to the test server that the test can cut (every connection dropped,
 * new ones refused: what a restarting server looks like to a client) and restore.
 */
export function startProxy(target: { hostname: string; port: number }) {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const open = new Set<Deno.Conn>();
  let up = true;
  const closeAll = () => {
    for (const c of open) {
      try {
        c.close();
      } catch { /* already closed */ }
    }
    open.clear();
  };
  (async () => {
    for await (const client of listener) {
      if (!up) {
        client.close();
        continue;
      }
      try {
        const server = await Deno.connect(target);
        open.add(client).add(server);
        const close = () => {
          for (const c of [client, server]) {
            open.delete(c);
            try {
              c.close();
            } catch { /* already closed */ }
          }
        };
        client.readable.pipeTo(server.writable).catch(() => {}).finally(close);
        server.readable.pipeTo(client.writable).catch(() => {}).finally(close);
      } catch {
        client.close();
      }
    }
  })().catch(() => {});
  return {
    port: (listener.addr as Deno.NetAddr).port,
    cut() {
      up = false;
      closeAll();
    },
    restore() {
      up = true;
    },
    close() {
      up = false;
      closeAll();
      listener.close();
    },
  };
}

/** `url` with its host and port replaced by the proxy's. */
export function viaProxy(url: string, proxy: { port: number }): string {
  const u = new URL(url);
  u.hostname = "127.0.0.1";
  u.port = String(proxy.port);
  return u.toString();
}

/** The files of the rotated sets of `logs` (uncompressed) that a reader still owes. */
async function unreadFiles(sql: postgres.Sql, logs: string[]): Promise<string[]> {
  const rows = await sql<{ fingerprint: string; byte_offset: string }[]>`
    select fingerprint, byte_offset from ingest_checkpoints`;
  const offsets = new Map(rows.map((r) => [r.fingerprint, Number(r.byte_offset)]));
  const owed: string[] = [];
  for (const log of logs) {
    for (const path of await listRotatedSet(log).catch(() => [])) {
      let bytes: Uint8Array;
      try {
        bytes = await Deno.readFile(path);
        if (path.endsWith(".gz")) bytes = gunzipSync(bytes);
      } catch {
        continue; // rotated away meanwhile
      }
      const fingerprint = await fingerprintBytes(bytes.subarray(0, FINGERPRINT_BYTES));
      if (fingerprint === null) continue; // no first line yet: nothing to read
      const end = bytes.lastIndexOf(10) + 1; // the end of the last complete line
      if ((offsets.get(fingerprint) ?? 0) < end) owed.push(path);
    }
  }
  return owed;
}

/**
 * Wait until every file of the rotated sets of `logs` has a checkpoint at its last complete
 * line (or `ms` passed; false then): from there on nothing is read again, so a duplicate
 * would already be stored. What exactly-once tests wait for instead of a fixed pause.
 */
export async function waitUntilRead(
  sql: postgres.Sql,
  logs: string[],
  ms = 60_000,
): Promise<boolean> {
  const until = Date.now() + ms;
  for (;;) {
    const owed = await unreadFiles(sql, logs).catch(() => null); // null: the server restarts
    if (owed !== null && owed.length === 0) return true;
    if (Date.now() > until) return false;
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Run the program with `env` (nothing of the parent's DNSA_/DB_ keys leaks in). */
export async function runProgram(args: string[], env: Record<string, string>): Promise<RunResult> {
  const clean = cleanEnv();
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
  // TCP_NODELAY as the program's own pools have it (a COPY otherwise waits ~40 ms).
  const sql = postgres(url, { max: 2, onnotice: () => {}, ...NO_DELAY_OPTIONS });
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
