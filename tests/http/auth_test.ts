/**
 * Token authentication as a LAN client meets it: a real server, requests that name it by a
 * non-loopback Host (raw HTTP/1.1, the Host header as a browser on the LAN sends it); the
 * /login rate limit per client address with bounded memory; the session cookie Secure when
 * the request came over TLS; and tokens shorter than 16 bytes refused by the configuration.
 * No request here reaches the database (its client points nowhere and is never used).
 */
import assert from "node:assert/strict";
import postgres from "postgres";
import { ConfigError, loadConfig } from "../../lib/config.ts";
import { LoginLimiter } from "../../lib/http/login_limit.ts";
import { startHttpServer } from "../../lib/http/server.ts";
import { createLogger } from "../../lib/log.ts";
import { MetricsRecorder } from "../../lib/metrics.ts";

const TOKEN = "lan-test-token-0123456789";
const LAN_HOST = "192.168.238.2:8053";

/** One raw HTTP/1.1 exchange: status, headers (lower-case names) and body. */
async function raw(port: number, head: string[], body = "") {
  const conn = await Deno.connect({ hostname: "127.0.0.1", port });
  const lines = [...head, "Connection: close"];
  if (body) lines.push(`Content-Length: ${new TextEncoder().encode(body).length}`);
  await conn.write(new TextEncoder().encode(lines.join("\r\n") + "\r\n\r\n" + body));
  const text = new TextDecoder().decode(await new Response(conn.readable).arrayBuffer());
  const [top, rest = ""] = text.split("\r\n\r\n", 2);
  const [status, ...fields] = top.split("\r\n");
  const headers = new Map(fields.map((f) => {
    const i = f.indexOf(":");
    return [f.slice(0, i).trim().toLowerCase(), f.slice(i + 1).trim()] as const;
  }));
  return { status: Number(status.split(" ")[1]), headers, body: rest };
}

async function withServer(
  token: string | null,
  fn: (port: number) => Promise<void>,
  limiter?: LoginLimiter,
) {
  const sql = postgres("postgres://nobody@127.0.0.1:1/none", { max: 1, connect_timeout: 1 });
  const stop = new AbortController();
  const server = await startHttpServer({
    sql,
    config: { node: "lan1", logTz: "UTC", source: "querylog", httpToken: token },
    metrics: new MetricsRecorder({ source: "querylog" }),
    log: createLogger({ level: "error", write: () => {} }),
    assets: new Map([["/", { type: "text/html; charset=utf-8", body: "<p>dashboard</p>" }]]),
    loginLimiter: limiter,
  }, { hostname: "127.0.0.1", port: 0, signal: stop.signal });
  try {
    await fn(server.port);
  } finally {
    stop.abort();
    await server.finished;
    await sql.end({ timeout: 1 });
  }
}

Deno.test("token auth from the LAN: a non-loopback Host needs the token, and the token is enough", async () => {
  await withServer(TOKEN, async (port) => {
    const bare = await raw(port, ["GET /api/nodes HTTP/1.1", `Host: ${LAN_HOST}`]);
    assert.equal(bare.status, 401);
    assert.equal(bare.headers.get("www-authenticate"), 'Bearer realm="dns-analytics"');
    const page = await raw(port, ["GET / HTTP/1.1", `Host: ${LAN_HOST}`]);
    assert.equal(page.status, 303);
    assert.equal(page.headers.get("location"), "/login");
    const wrong = await raw(port, [
      "GET / HTTP/1.1",
      `Host: ${LAN_HOST}`,
      `Authorization: Bearer ${TOKEN}x`,
    ]);
    assert.equal(wrong.status, 303);
    const bearer = await raw(port, [
      "GET / HTTP/1.1",
      `Host: ${LAN_HOST}`,
      `Authorization: Bearer ${TOKEN}`,
    ]);
    assert.equal(bearer.status, 200);
    assert.equal(bearer.body, "<p>dashboard</p>");
    const cookie = await raw(port, [
      "GET / HTTP/1.1",
      `Host: ${LAN_HOST}`,
      `Cookie: dnsa_token=${TOKEN}`,
    ]);
    assert.equal(cookie.status, 200);
  });
  // Without a token the same Host is refused outright (the server is loopback-only then).
  await withServer(null, async (port) => {
    const r = await raw(port, ["GET / HTTP/1.1", `Host: ${LAN_HOST}`]);
    assert.equal(r.status, 421);
  });
});

Deno.test("/login: wrong tokens from one address are limited (429, Retry-After), others unaffected", async () => {
  let now = 1_000_000;
  const limiter = new LoginLimiter({ attempts: 3, windowMs: 60_000, now: () => now });
  await withServer(TOKEN, async (port) => {
    const post = (token: string, extra: string[] = []) =>
      raw(port, [
        "POST /login HTTP/1.1",
        `Host: ${LAN_HOST}`,
        "Content-Type: application/x-www-form-urlencoded",
        ...extra,
      ], `token=${encodeURIComponent(token)}`);
    for (let i = 0; i < 3; i++) assert.equal((await post("guess" + i)).status, 401);
    const limited = await post(TOKEN);
    assert.equal(limited.status, 429, "even the right token waits out the window");
    assert.equal(limited.headers.get("retry-after"), "60");
    now += 30_000;
    assert.equal((await post(TOKEN)).headers.get("retry-after"), "30");
    // Another address (the limiter counts by the peer address of the connection).
    limiter.failed("192.0.2.1");
    assert.equal(limiter.retryAfter("192.0.2.1"), 0);
    now += 30_000;
    const again = await post(TOKEN);
    assert.equal(again.status, 303, "after the window the right token signs in");
    assert.doesNotMatch(again.headers.get("set-cookie") ?? "", /Secure/);
    const tls = await post(TOKEN, ["X-Forwarded-Proto: https"]);
    assert.equal(tls.status, 303);
    assert.match(
      tls.headers.get("set-cookie") ?? "",
      /; HttpOnly; SameSite=Strict; Path=\/; Secure$/,
    );
    const forwarded = await post(TOKEN, ["Forwarded: for=192.0.2.9;proto=https"]);
    assert.match(forwarded.headers.get("set-cookie") ?? "", /; Secure$/);
  }, limiter);
});

Deno.test("/login limiter: memory is bounded, expired and oldest addresses go first", () => {
  let now = 0;
  const limiter = new LoginLimiter({ attempts: 1, windowMs: 1000, maxClients: 3, now: () => now });
  for (const a of ["a", "b", "c"]) limiter.failed(a);
  assert.equal(limiter.retryAfter("a"), 1);
  limiter.failed("d"); // full: the oldest (a) is forgotten
  assert.equal(limiter.size, 3);
  assert.equal(limiter.retryAfter("a"), 0);
  assert.equal(limiter.retryAfter("d"), 1);
  now = 5000; // every window has ended
  for (let i = 0; i < 100; i++) limiter.failed(`x${i}`);
  assert.equal(limiter.size, 3);
});

Deno.test("DNSA_HTTP_TOKEN shorter than 16 bytes is refused, naming the key and not the token", () => {
  for (const token of ["q7", "s3cret", "fifteen-bytes!!"]) {
    assert.throws(() => loadConfig({ env: { DNSA_HTTP_TOKEN: token } }), (e: unknown) => {
      assert.ok(e instanceof ConfigError);
      assert.match(e.message, /DNSA_HTTP_TOKEN: must be at least 16 bytes/);
      assert.ok(!e.message.includes(token), e.message);
      return true;
    });
  }
  assert.equal(
    loadConfig({ env: { DNSA_HTTP_TOKEN: "sixteen-bytes!!!" } }).httpToken,
    "sixteen-bytes!!!",
  );
});
