/**
 * The entry point run the way the compiled binary runs: from a working directory with no
 * repository files around it. Every runtime file (SQL, the dnstap schema, PGlite's files) must
 * come from the module graph, and Deno.cron must be there (deno.json's "unstable": ["cron"],
 * baked into the binary by `deno compile --unstable-cron`).
 */
import assert from "node:assert/strict";
import { join } from "node:path";

const MAIN = new URL("../main.ts", import.meta.url).pathname;
const FIXTURES = new URL("./fixtures/bind-9.18/", import.meta.url).pathname;

function run(cwd: string, args: string[], env: Record<string, string>) {
  const clean: Record<string, string> = {};
  for (const [k, v] of Object.entries(Deno.env.toObject())) {
    if (!k.startsWith("DNSA_") && !k.startsWith("DB_") && k !== "DATABASE_URL") clean[k] = v;
  }
  return new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", MAIN, ...args],
    cwd,
    env: { ...clean, NO_COLOR: "1", DNSA_LOG_TZ: "UTC", DNSA_NODE: "dns1", ...env },
    clearEnv: true,
    stdout: "piped",
    stderr: "piped",
  }).output();
}

Deno.test("entry point from an empty working directory: ingest, report and serve's jobs", async () => {
  const cwd = await Deno.makeTempDir({ prefix: "dnsa-elsewhere-" });
  try {
    const env = { DNSA_DATA_DIR: join(cwd, "data") };
    const ing = await run(cwd, ["ingest", join(FIXTURES, "query-errors.log")], env);
    assert.equal(ing.code, 0, new TextDecoder().decode(ing.stderr));
    const rep = await run(cwd, ["report", "top-servfail", "--format", "json", "--limit", "1"], env);
    const out = new TextDecoder().decode(rep.stdout);
    assert.equal(rep.code, 0, new TextDecoder().decode(rep.stderr));
    assert.equal(JSON.parse(out)[0].domain, "api.dead.co.ug");

    // serve: the scheduled jobs register (Deno.cron present) and run once at start.
    const child = new Deno.Command(Deno.execPath(), {
      args: ["run", "-A", MAIN, "serve"],
      cwd,
      env: {
        ...env,
        PATH: Deno.env.get("PATH") ?? "",
        HOME: Deno.env.get("HOME") ?? cwd,
        DNSA_LOG_TZ: "UTC",
        DNSA_NODE: "dns1",
        DNSA_HTTP: "127.0.0.1:0",
        DNSA_QUERY_LOG: join(cwd, "queries.log"),
        DNSA_ERROR_LOG: join(cwd, "query-errors.log"),
      },
      clearEnv: true,
      stdout: "null",
      stderr: "piped",
    }).spawn();
    const reader = child.stderr.pipeThrough(new TextDecoderStream()).getReader();
    let log = "";
    while (!/"trigger":"startup"[^\n]*\n[\s\S]*"trigger":"startup"/.test(log)) {
      const { done, value } = await reader.read();
      if (done) break;
      log += value;
    }
    child.kill("SIGTERM");
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      log += value;
    }
    const status = await child.status;
    assert.equal(status.code, 0, log);
    assert.match(log, /"msg":"jobs scheduled"/);
    assert.match(log, /"job":"rollup","trigger":"startup","status":"ok"/);
    assert.match(log, /"job":"retention","trigger":"startup","status":"ok"/);
  } finally {
    await Deno.remove(cwd, { recursive: true });
  }
});
