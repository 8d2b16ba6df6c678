/**
 * Test support: a PostgreSQL 15 cluster of the test's own (initdb in a temp directory, on a
 * free loopback port), so a test can crash it, fill its disk or make it read-only without
 * disturbing the server other tests use. initdb refuses root: as root, every server program
 * runs as the `postgres` user (`runuser`). Not a test file itself.
 *
 * @module
 */
import postgres from "postgres";
import { join } from "node:path";

/** Where Debian installs PostgreSQL 15's server programs. */
export const PG_BIN = "/usr/lib/postgresql/15/bin";

/** A running cluster of the test's own. */
export interface Cluster {
  dir: string;
  port: number;
  /** A URL of database `db` as the superuser (trust authentication on loopback). */
  url(db?: string): string;
  /** A client of database `db`; ended by {@linkcode Cluster.destroy}. */
  client(db?: string): postgres.Sql;
  /** `pg_ctl stop -m immediate`: a crash, as far as the database files know. */
  crash(): Promise<void>;
  start(): Promise<void>;
  /** Run a command as the cluster's owner. */
  asOwner(cmd: string, args: string[]): Promise<Deno.CommandOutput>;
  /** Stop the server and remove everything (`beforeRemove` runs in between). */
  destroy(options?: { beforeRemove?: () => Promise<void> }): Promise<void>;
}

/** Why no cluster can be made here, or null when one can. */
export async function clusterUnavailable(): Promise<string | null> {
  try {
    await Deno.stat(join(PG_BIN, "initdb"));
  } catch {
    return `no PostgreSQL 15 server programs in ${PG_BIN}`;
  }
  if (Deno.uid() === 0) {
    const id = await new Deno.Command("id", { args: ["-u", "postgres"] }).output()
      .catch(() => null);
    if (!id?.success) return "running as root and there is no postgres user to run initdb as";
  }
  return null;
}

function freePort(): number {
  const l = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (l.addr as Deno.NetAddr).port;
  l.close();
  return port;
}

/** Initialise and start a cluster; call destroy() in a finally. */
export async function startCluster(): Promise<Cluster> {
  const root = Deno.uid() === 0;
  const dir = await Deno.makeTempDir({ prefix: "dnsa-pg-" });
  await Deno.chmod(dir, 0o755);
  const asOwner = (cmd: string, args: string[]) => {
    const full = join(PG_BIN, cmd);
    return new Deno.Command(root ? "runuser" : full, {
      args: root ? ["-u", "postgres", "--", full, ...args] : args,
      cwd: dir,
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
    }).output();
  };
  const check = async (what: string, p: Promise<Deno.CommandOutput>) => {
    const out = await p;
    if (!out.success) {
      const text = new TextDecoder();
      throw new Error(`${what} failed: ${text.decode(out.stdout)}${text.decode(out.stderr)}`);
    }
  };
  if (root) await check("chown", new Deno.Command("chown", { args: ["postgres", dir] }).output());
  const data = join(dir, "data");
  await check(
    "initdb",
    asOwner("initdb", ["-D", data, "-U", "postgres", "-A", "trust", "-E", "UTF8", "--no-sync"]),
  );
  const port = freePort();
  const options = [
    `-p ${port}`,
    "-c listen_addresses=127.0.0.1",
    `-c unix_socket_directories=${dir}`,
    // A crash here is `pg_ctl stop -m immediate`, not a power cut: what a commit wrote to
    // the operating system survives it, so fsync only costs time.
    "-c fsync=off",
    "-c max_connections=60",
  ].join(" ");
  const start = () =>
    check(
      "pg_ctl start",
      asOwner("pg_ctl", [
        "-D",
        data,
        "-l",
        join(dir, "server.log"),
        "-w",
        "-t",
        "60",
        "-o",
        options,
        "start",
      ]),
    );
  await start();
  const clients: postgres.Sql[] = [];
  const url = (db = "postgres") => `postgres://postgres@127.0.0.1:${port}/${db}`;
  return {
    dir,
    port,
    url,
    client(db = "postgres") {
      const c = postgres(url(db), { max: 2, onnotice: () => {}, connect_timeout: 5 });
      clients.push(c);
      return c;
    },
    crash: () =>
      check("pg_ctl stop", asOwner("pg_ctl", ["-D", data, "-m", "immediate", "-w", "stop"])),
    start,
    asOwner,
    async destroy(options = {}) {
      await Promise.allSettled(clients.map((c) => c.end({ timeout: 1 })));
      await asOwner("pg_ctl", ["-D", data, "-m", "immediate", "-w", "stop"]).catch(() => null);
      await options.beforeRemove?.();
      await Deno.remove(dir, { recursive: true }).catch(() => {});
    },
  };
}

/**
 * A small filesystem (tmpfs of `megabytes`) at `path`, owned by postgres, to put a tablespace
 * on and fill up. Null, with the reason, where mounting is not possible (not root, no
 * privilege in a container).
 */
export async function mountSmallDisk(
  path: string,
  megabytes: number,
): Promise<{ unmount(): Promise<void> } | string> {
  if (Deno.uid() !== 0) return "mounting a small filesystem needs root";
  await Deno.mkdir(path, { recursive: true });
  const m = await new Deno.Command("mount", {
    args: ["-t", "tmpfs", "-o", `size=${megabytes}m,mode=0755`, "tmpfs", path],
    stdout: "null",
    stderr: "piped",
  }).output();
  if (!m.success) return `mount -t tmpfs failed: ${new TextDecoder().decode(m.stderr).trim()}`;
  await new Deno.Command("chown", { args: ["postgres", path] }).output();
  return {
    async unmount() {
      await new Deno.Command("umount", { args: ["-l", path], stdout: "null", stderr: "null" })
        .output();
    },
  };
}

/** Fill the filesystem of `dir` with `name` until it is full; returns the file's path. */
export async function fillDisk(dir: string, name = "filler"): Promise<string> {
  const path = join(dir, name);
  const file = await Deno.open(path, { write: true, create: true, truncate: true });
  const chunk = new Uint8Array(1 << 20);
  try {
    for (let i = 0; i < 100_000; i++) {
      try {
        await file.write(chunk);
      } catch {
        break; // ENOSPC
      }
    }
    // The last partial pages too.
    for (let size = 1 << 16; size >= 512; size >>= 1) {
      for (let i = 0; i < 64; i++) {
        try {
          await file.write(chunk.subarray(0, size));
        } catch {
          break;
        }
      }
    }
  } finally {
    file.close();
  }
  return path;
}
