import assert from "node:assert/strict";
import { Buffer } from "node:buffer";
import { once } from "node:events";
import { connectDenoSocket, DenoSocket } from "../../lib/db/deno_socket.ts";
import { openNoDelaySocket } from "../../lib/db/socket.ts";

/** A loopback listener; `serve` gets each accepted connection. */
function listen(serve: (c: Deno.Conn) => Promise<void>) {
  const l = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const done = (async () => {
    const tasks: Promise<void>[] = [];
    for await (const c of l) tasks.push(serve(c).catch(() => {}));
    await Promise.all(tasks);
  })();
  return {
    port: (l.addr as Deno.NetAddr).port,
    async close() {
      l.close();
      await done;
    },
  };
}

async function readAll(c: Deno.Conn): Promise<Uint8Array> {
  const parts: Uint8Array[] = [];
  const buf = new Uint8Array(65536);
  for (;;) {
    const n = await c.read(buf).catch(() => null);
    if (n === null) break;
    parts.push(buf.slice(0, n));
  }
  return Buffer.concat(parts);
}

/** A loopback listener that keeps all one connection sends; `got()` once it has closed. */
function capture() {
  let got: Uint8Array | null = null;
  const srv = listen(async (c) => {
    got = await readAll(c);
    c.close();
  });
  return { ...srv, got: () => got };
}

Deno.test("deno socket: writes arrive whole and in order, each callback after its bytes, false past 1 MiB queued then drain; end closes", async () => {
  const srv = capture();
  try {
    const s = await connectDenoSocket({ host: "127.0.0.1", port: srv.port });
    assert.equal(s.readyState, "open");
    const chunks = Array.from({ length: 40 }, (_, i) => new Uint8Array(100_000).fill(i));
    const order: number[] = [];
    const results = chunks.map((c, i) => s.write(c, (e) => e ? order.push(-1) : order.push(i)));
    assert.equal(results[0], true);
    assert.equal(results.at(-1), false, "4 MB queued and write() still true");
    await once(s, "drain");
    assert.deepEqual(order, chunks.map((_, i) => i));
    const closed = once(s, "close");
    s.end(new TextEncoder().encode("end"));
    const [hadError] = await closed;
    assert.equal(hadError, false);
    assert.equal(s.readyState, "closed");
    await srv.close();
    const all = srv.got();
    assert.ok(all);
    assert.equal(all.length, 40 * 100_000 + 3);
    for (let i = 0; i < 40; i++) assert.equal(all[i * 100_000 + 99_999], i);
    assert.equal(new TextDecoder().decode(all.subarray(-3)), "end");
  } finally {
    await srv.close().catch(() => {});
  }
});

Deno.test("deno socket: data as Buffers of its own (not reused), pause stops reading, resume goes on; the peer's close is a close without error", async () => {
  const srv = listen(async (c) => {
    for (let i = 0; i < 3; i++) {
      await c.write(new TextEncoder().encode(`part${i};`));
      await new Promise((r) => setTimeout(r, 30));
    }
    c.close();
  });
  try {
    const s = await connectDenoSocket({ host: "127.0.0.1", port: srv.port });
    const seen: Uint8Array[] = [];
    s.on("data", (b: Uint8Array) => {
      seen.push(b);
      if (seen.length === 1) {
        s.pause();
        setTimeout(() => s.resume(), 150);
      }
    });
    const t0 = performance.now();
    const [hadError] = await once(s, "close");
    assert.equal(hadError, false);
    assert.ok(performance.now() - t0 >= 140, "pause did not hold the reads");
    assert.ok(seen.every((b) => "readUInt32BE" in b), "not Buffers");
    assert.equal(new TextDecoder().decode(Buffer.concat(seen)), "part0;part1;part2;");
  } finally {
    await srv.close();
  }
});

Deno.test("deno socket: a refused connection, an unknown name and a reset give the codes the fault policy knows", async () => {
  const probe = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const closedPort = (probe.addr as Deno.NetAddr).port;
  probe.close();
  await assert.rejects(
    connectDenoSocket({ host: "127.0.0.1", port: closedPort }),
    (e: Error & { code?: string }) => e.code === "ECONNREFUSED",
  );
  await assert.rejects(
    connectDenoSocket({ host: "no-such-host.invalid", port: 5432 }),
    (e: Error & { code?: string }) => e.code === "ENOTFOUND" || e.code === "EAI_AGAIN",
  );
  // The peer goes away while we write.
  const srv = listen(async (c) => {
    const buf = new Uint8Array(16);
    await c.read(buf);
    c.close();
  });
  try {
    const s: DenoSocket = await connectDenoSocket({ host: "127.0.0.1", port: srv.port });
    const errors: (Error & { code?: string })[] = [];
    s.on("error", (e: Error) => errors.push(e));
    const closed = once(s, "close");
    const big = new Uint8Array(1 << 20);
    const callbacks: (Error | null | undefined)[] = [];
    for (let i = 0; i < 64 && s.readyState === "open"; i++) {
      s.write(big, (e) => callbacks.push(e));
      await new Promise((r) => setTimeout(r, 5));
    }
    // A reset, or the peer's end of stream first (then the driver fails what is in flight
    // as CONNECTION_CLOSED); writes in flight then and any write after fail with a code.
    const [hadError] = await closed;
    if (hadError) assert.ok(typeof errors[0]?.code === "string", JSON.stringify(errors));
    else assert.equal(errors.length, 0);
    const after = new Promise<Error | null | undefined>((r) => {
      assert.equal(s.write(big, r), false, "a write after close is accepted");
    });
    const late = await after as (Error & { code?: string }) | null;
    assert.ok(late instanceof Error && typeof late.code === "string", String(late));
    const failed = callbacks.filter((e) => e instanceof Error) as (Error & { code?: string })[];
    assert.ok(failed.every((e) => typeof e.code === "string"), String(failed));
  } finally {
    await srv.close();
  }
});

Deno.test("deno socket: a unix socket path; TLS settings keep node:net's socket", async () => {
  const dir = await Deno.makeTempDir();
  const path = `${dir}/s.sock`;
  const l = Deno.listen({ transport: "unix", path });
  const served = (async () => {
    const c = await l.accept();
    await c.write(new TextEncoder().encode("hi"));
    c.close();
  })();
  try {
    const s = await openNoDelaySocket({ host: [], port: [], path });
    const data = once(s, "data");
    const [b] = await data;
    assert.equal(new TextDecoder().decode(b), "hi");
    assert.equal(s.constructor.name, "DenoSocket");
    await served;
    s.destroy();
    // With TLS asked for, postgres.js starts TLS on the socket: node:net's.
    const tcp = listen(async (c) => {
      await readAll(c);
    });
    const t = await openNoDelaySocket({ host: ["127.0.0.1"], port: [tcp.port], ssl: "require" });
    assert.equal(t.constructor.name, "Socket");
    t.destroy();
    await tcp.close();
  } finally {
    l.close();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("deno socket: claimCopy finds the socket an empty CopyData message went to; writeCopyData frames a block as it is", async () => {
  const srv = capture();
  try {
    const s = await connectDenoSocket({ host: "127.0.0.1", port: srv.port });
    // As postgres.js's COPY stream writes a chunk: a CopyData message of it, at once.
    const frame = (chunk: Uint8Array) => {
      const m = new Uint8Array(5 + chunk.length);
      m[0] = 0x64;
      new DataView(m.buffer).setInt32(1, chunk.length + 4);
      m.set(chunk, 5);
      s.write(m);
    };
    assert.equal(DenoSocket.claimCopy(frame), s);
    assert.equal(DenoSocket.claimCopy(() => {}), null, "nothing written, no socket");
    const block = new TextEncoder().encode("1\t2\n");
    await new Promise<void>((r) => s.writeCopyData(block, () => r()));
    const closed = once(s, "close");
    s.end();
    await closed;
    await srv.close();
    assert.deepEqual(
      [...srv.got() ?? []],
      [0x64, 0, 0, 0, 4, 0x64, 0, 0, 0, 8, ...block],
    );
  } finally {
    await srv.close().catch(() => {});
  }
});
