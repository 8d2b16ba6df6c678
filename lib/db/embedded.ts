/**
 * The embedded default: PGlite (PostgreSQL compiled to WebAssembly) with its data in
 * `DNSA_DATA_DIR`, served in-process by pglite-socket, so the program's postgres.js code and
 * SQL run unchanged. It answers any user as superuser without a password, so it listens on a
 * unix socket in `DNSA_DATA_DIR/socket`, a directory only this user may enter (0700), never
 * on a TCP port another local user could reach. One process owns a data directory at a time;
 * a second one gets a clear message instead of a corrupted database.
 *
 * @module
 */
import { PGlite } from "@electric-sql/pglite";
import { PGLiteSocketServer } from "@electric-sql/pglite-socket";
import { join, resolve } from "node:path";
import { DatabaseError } from "./database_error.ts";

/** A running embedded database. */
export interface EmbeddedDatabase {
  /** The socket's directory: postgres.js's `host` for a unix socket. */
  host: string;
  /** The number in the socket's name (`.s.PGSQL.<port>`). */
  port: number;
  dataDir: string;
  /** Stop serving, close the database, release the directory. Idempotent. */
  stop(): Promise<void>;
}

const LOCK_FILE = "dns-analytics.pid";
const SOCKET_PORT = 5432;
/** sun_path holds 108 bytes with its terminating NUL; keep a margin. */
const MAX_SOCKET_PATH = 100;

/** The socket's directory, made (or made private again) with mode 0700; the stale socket gone. */
async function privateSocket(dir: string): Promise<{ dir: string; path: string }> {
  const socketDir = join(dir, "socket");
  const path = join(socketDir, `.s.PGSQL.${SOCKET_PORT}`);
  if (new TextEncoder().encode(path).length > MAX_SOCKET_PATH) {
    throw new DatabaseError(
      `DNSA_DATA_DIR ${dir} is too long for the embedded database's unix socket ` +
        `(${path} is over ${MAX_SOCKET_PATH} bytes): set DNSA_DATA_DIR to a shorter path`,
    );
  }
  await Deno.mkdir(socketDir, { recursive: true, mode: 0o700 });
  await Deno.chmod(socketDir, 0o700); // mkdir's mode is cut by the umask; an old dir kept its own
  await Deno.remove(path).catch(() => {}); // left by a process that is gone (we hold the lock)
  return { dir: socketDir, path };
}

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
  let socket: { dir: string; path: string };
  try {
    socket = await privateSocket(dir);
    db = await PGlite.create({ dataDir: join(dir, "pglite") });
    server = new PGLiteSocketServer({ db, path: socket.path });
    await server.start();
  } catch (error) {
    if (error instanceof DatabaseError) {
      await Deno.remove(lock).catch(() => {});
      throw error;
    }
    await db?.close().catch(() => {});
    await Deno.remove(lock).catch(() => {});
    throw new DatabaseError(
      `Cannot open the embedded database in ${dir}: ${(error as Error).message}`,
      { cause: error },
    );
  }
  const listening = (server as unknown as { server?: { listening?: boolean } }).server?.listening;
  if (!listening) throw new DatabaseError("The embedded database did not start listening");
  let stopped = false;
  return {
    host: socket.dir,
    port: SOCKET_PORT,
    dataDir: dir,
    async stop() {
      if (stopped) return;
      stopped = true;
      await server!.stop().catch(() => {});
      await db!.close().catch(() => {});
      await Deno.remove(socket.path).catch(() => {});
      await Deno.remove(lock).catch(() => {});
    },
  };
}
