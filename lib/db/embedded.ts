/**
 * The embedded default: PGlite (PostgreSQL compiled to WebAssembly) with its data in
 * `DNSA_DATA_DIR`, served in-process on a loopback port by pglite-socket, so the program's
 * postgres.js code and SQL run unchanged. One process owns a data directory at a time; a
 * second one gets a clear message instead of a corrupted database.
 *
 * @module
 */
import { PGlite } from "@electric-sql/pglite";
import { PGLiteSocketServer } from "@electric-sql/pglite-socket";
import { join, resolve } from "node:path";
import { DatabaseError } from "./database_error.ts";

/** A running embedded database. */
export interface EmbeddedDatabase {
  host: string;
  port: number;
  dataDir: string;
  /** Stop serving, close the database, release the directory. Idempotent. */
  stop(): Promise<void>;
}

const LOCK_FILE = "dns-analytics.pid";

function processAlive(pid: number): boolean {
  try {
    Deno.statSync(`/proc/${pid}`);
    return true;
  } catch {
    // Without /proc (not Linux), fall back to a signal-0 probe.
    try {
      Deno.kill(pid, "SIGCONT");
      return true;
    } catch {
      return false;
    }
  }
}

/** Take the directory's lock file, or explain who holds it. */
async function lockDirectory(dir: string): Promise<string> {
  const path = join(dir, LOCK_FILE);
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const file = await Deno.open(path, { write: true, createNew: true });
      await file.write(new TextEncoder().encode(`${Deno.pid}\n`));
      file.close();
      return path;
    } catch (error) {
      if (!(error instanceof Deno.errors.AlreadyExists)) throw error;
      const pid = Number((await Deno.readTextFile(path).catch(() => "")).trim());
      if (Number.isInteger(pid) && pid > 0 && pid !== Deno.pid && processAlive(pid)) {
        throw new DatabaseError(
          `The embedded database in ${dir} is in use by another dns-analytics process ` +
            `(pid ${pid}). Stop that process, or point DNSA_DATA_DIR at another directory, ` +
            "or configure PostgreSQL (DATABASE_URL) to run several processes at once.",
        );
      }
      await Deno.remove(path).catch(() => {}); // left by a process that is gone
    }
  }
  throw new DatabaseError(`Cannot lock the embedded database in ${dir} (${path})`);
}

/** Open (creating on first use) the embedded database in `dataDir` and serve it. */
export async function startEmbedded(dataDir: string): Promise<EmbeddedDatabase> {
  const dir = resolve(dataDir);
  try {
    await Deno.mkdir(dir, { recursive: true });
  } catch (error) {
    throw new DatabaseError(
      `Cannot create DNSA_DATA_DIR ${dir}: ${(error as Error).message} ` +
        "(set DNSA_DATA_DIR to a writable directory)",
      { cause: error },
    );
  }
  const lock = await lockDirectory(dir);
  let db: PGlite | null = null;
  let server: PGLiteSocketServer | null = null;
  try {
    db = await PGlite.create({ dataDir: join(dir, "pglite") });
    server = new PGLiteSocketServer({ db, host: "127.0.0.1", port: 0 });
    await server.start();
  } catch (error) {
    await db?.close().catch(() => {});
    await Deno.remove(lock).catch(() => {});
    throw new DatabaseError(
      `Cannot open the embedded database in ${dir}: ${(error as Error).message}`,
      { cause: error },
    );
  }
  const address = (server as unknown as { server?: { address(): { port: number } } }).server
    ?.address();
  if (!address) throw new DatabaseError("The embedded database did not start listening");
  let stopped = false;
  return {
    host: "127.0.0.1",
    port: address.port,
    dataDir: dir,
    async stop() {
      if (stopped) return;
      stopped = true;
      await server!.stop().catch(() => {});
      await db!.close().catch(() => {});
      await Deno.remove(lock).catch(() => {});
    },
  };
}
