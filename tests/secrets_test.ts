/**
 * No password is ever printed: every malformed or unreachable database setting, run through
 * the real entry point (`main.ts` as a subprocess, as systemd runs it), ends with a message
 * that names the key and holds no password, raw or %-encoded, on stdout or stderr.
 */
import assert from "node:assert/strict";

const MAIN = new URL("../main.ts", import.meta.url).pathname;
const SECRET = "s3cret-Pa55";
// A password with characters that must be %-encoded in a URL.
const ODD = "p@ss w0rd/x";
const ODD_ENCODED = encodeURIComponent(ODD);

async function run(args: string[], env: Record<string, string>) {
  const clean: Record<string, string> = {};
  for (const [k, v] of Object.entries(Deno.env.toObject())) {
    if (!k.startsWith("DNSA_") && !k.startsWith("DB_") && k !== "DATABASE_URL") clean[k] = v;
  }
  const dir = await Deno.makeTempDir({ prefix: "dnsa-secrets-" });
  try {
    const out = await new Deno.Command(Deno.execPath(), {
      args: ["run", "-A", MAIN, ...args],
      cwd: dir,
      env: { ...clean, NO_COLOR: "1", DNSA_LOG_TZ: "UTC", DNSA_DATA_DIR: dir, ...env },
      clearEnv: true,
      stdout: "piped",
      stderr: "piped",
    }).output();
    const text = new TextDecoder();
    return { code: out.code, output: text.decode(out.stdout) + text.decode(out.stderr) };
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

const DB = { DB_USER: "u", DB_PASSWORD: SECRET, DB_NAME: "d" };
// Each recipe: its environment and the key its message must name.
const RECIPES: [string, Record<string, string>, RegExp][] = [
  ["DB_HOST with a port", { ...DB, DB_HOST: "db.example.com:5432" }, /DB_HOST/],
  ["DB_HOST of hex letters and a port", { ...DB, DB_HOST: "dead:5432" }, /DB_HOST/],
  ["DB_HOST with a space", { ...DB, DB_HOST: "db example" }, /DB_HOST/],
  ["DATABASE_URL, port not a number", {
    DATABASE_URL: `postgres://u:${SECRET}@h:54x2/d`,
  }, /DATABASE_URL/],
  ["DATABASE_URL, port too large", {
    DATABASE_URL: `postgres://u:${SECRET}@h:99999/d`,
  }, /DATABASE_URL/],
  ["DATABASE_URL, bad %-escape in the host", {
    DATABASE_URL: `postgres://u:${SECRET}@h%zz:5432/d`,
  }, /DATABASE_URL/],
  ["DATABASE_URL, bad port parameter", {
    DATABASE_URL: `postgres://u:${SECRET}@/d?port=abc`,
  }, /DATABASE_URL/],
  ["DATABASE_URL, password not %-encoded", {
    DATABASE_URL: `postgres://u:${ODD}@h/d`,
  }, /DATABASE_URL/],
  ["DNSA_PEERS, malformed peer URL", {
    DATABASE_URL: "postgres://u:x@127.0.0.1:1/d",
    DNSA_PEERS: `dns2=postgres://u:${SECRET}@h:54x2/d`,
  }, /DNSA_PEERS/],
  ["DNSA_READ_DATABASE_URL malformed", {
    DATABASE_URL: "postgres://u:x@127.0.0.1:1/d",
    DNSA_READ_DATABASE_URL: `postgres://u:${SECRET}@h:54x2/d`,
  }, /DNSA_READ_DATABASE_URL/],
  ["DNSA_HTTP_DATABASE_URL malformed", {
    DATABASE_URL: "postgres://u:x@127.0.0.1:1/d",
    DNSA_HTTP_DATABASE_URL: `postgres://u:${SECRET}@h:54x2/d`,
  }, /DNSA_HTTP_DATABASE_URL/],
  ["nothing listens (DATABASE_URL)", {
    DATABASE_URL: `postgres://u:${SECRET}@127.0.0.1:1/d`,
  }, /127\.0\.0\.1:1/],
  ["nothing listens (DB_*, an odd password)", {
    ...DB,
    DB_PASSWORD: ODD,
    DB_HOST: "127.0.0.1",
    DB_PORT: "1",
  }, /127\.0\.0\.1:1/],
  ["no socket in that directory (DB_HOST)", {
    ...DB,
    DB_HOST: "/nonexistent-dnsa",
  }, /nonexistent-dnsa/],
];

for (const [what, env, names] of RECIPES) {
  Deno.test(`no password printed: ${what} (migrate, report, doctor)`, async () => {
    for (const args of [["migrate"], ["report", "top-domains"], ["doctor"]]) {
      const r = await run(args, env);
      assert.notEqual(r.code, 0, `${args[0]} must fail: ${r.output}`);
      for (const secret of [SECRET, ODD, ODD_ENCODED]) {
        assert.ok(!r.output.includes(secret), `${args[0]} printed the password:\n${r.output}`);
      }
      assert.match(r.output, names, `${args[0]} names what is wrong`);
    }
  });
}

Deno.test("no password printed: serve refuses a malformed DATABASE_URL before it starts", async () => {
  const r = await run(["serve"], { DATABASE_URL: `postgres://u:${SECRET}@h:54x2/d` });
  assert.equal(r.code, 1);
  assert.ok(!r.output.includes(SECRET), r.output);
  assert.match(r.output, /DATABASE_URL: is not a valid URL/);
});
