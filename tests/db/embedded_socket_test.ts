/**
 * The embedded database answers any user as superuser, so it is served on a unix socket in a
 * directory only the service user may enter (0700), not on a TCP port every local user can
 * reach; a socket left by a killed process does not stop the next start.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import postgres from "postgres";
import { startEmbedded } from "../../lib/db/embedded.ts";

Deno.test({
  name: "embedded database: a unix socket in a 0700 directory, no TCP port",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const dir = await Deno.makeTempDir({ prefix: "dnsa-emb-sock-" });
    try {
      // A directory made open earlier, and a stale socket file in it.
      await Deno.mkdir(join(dir, "socket"), { mode: 0o755 });
      await Deno.chmod(join(dir, "socket"), 0o755);
      await Deno.writeTextFile(join(dir, "socket", ".s.PGSQL.5432"), "");
      const embedded = await startEmbedded(dir);
      try {
        assert.equal(embedded.host, join(dir, "socket"));
        assert.equal((await Deno.stat(embedded.host)).mode! & 0o777, 0o700);
        const info = await Deno.lstat(join(embedded.host, `.s.PGSQL.${embedded.port}`));
        assert.ok(info.isSocket, "a unix socket");
        const sql = postgres({ host: embedded.host, port: embedded.port, max: 1 });
        const [r] = await sql`select 1 as one`;
        assert.equal(r.one, 1);
        await sql.end();
        // Nothing of this process listens on TCP (the embedded server used to).
        const listening = await Deno.readTextFile("/proc/net/tcp").catch(() => "");
        const inodes = new Set<string>();
        for await (const fd of Deno.readDir(`/proc/${Deno.pid}/fd`)) {
          const target = await Deno.readLink(`/proc/${Deno.pid}/fd/${fd.name}`).catch(() => "");
          const m = /^socket:\[(\d+)\]$/.exec(target);
          if (m) inodes.add(m[1]);
        }
        const ours = listening.split("\n").slice(1).map((l) => l.trim().split(/\s+/))
          .filter((f) => f[3] === "0A" && inodes.has(f[9]));
        assert.deepEqual(ours, [], "no TCP listener of this process");
      } finally {
        await embedded.stop();
      }
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});
