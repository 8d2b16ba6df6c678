/**
 * The program refuses a DNSA_HTTP beyond loopback without DNSA_HTTP_TOKEN: before it binds,
 * before it opens (or creates) the database, with a message that names the key.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { runProgram } from "../integration/pg.ts";

function freePort(): number {
  const l = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (l.addr as Deno.NetAddr).port;
  l.close();
  return port;
}

Deno.test("serve: non-loopback DNSA_HTTP without a token exits non-zero before binding", async () => {
  const dir = await Deno.makeTempDir({ prefix: "dnsa-http-cli-" });
  try {
    const port = freePort();
    const data = join(dir, "data");
    const r = await runProgram(["serve"], {
      DNSA_DATA_DIR: data,
      DNSA_HTTP: `0.0.0.0:${port}`,
      DNSA_QUERY_LOG: join(dir, "queries.log"),
      DNSA_ERROR_LOG: join(dir, "query-errors.log"),
    });
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /DNSA_HTTP_TOKEN/);
    assert.doesNotMatch(r.stderr, /migrations applied|http listening/);
    // The database was never opened: its directory was not even created.
    await assert.rejects(Deno.stat(data), Deno.errors.NotFound);
    // Nothing holds the port.
    const l = Deno.listen({ hostname: "0.0.0.0", port });
    l.close();
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
