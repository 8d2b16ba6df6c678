/**
 * Where the demo's simulated named writes its dnstap, like named's `dnstap-output`: a Frame
 * Streams file (START, data frames, STOP at the end) that serve follows, or serve's unix socket
 * (READY, ACCEPT from serve, START, data frames, STOP answered by FINISH).
 *
 * @module
 */
import {
  Control,
  controlName,
  DNSTAP_CONTENT_TYPE,
  encodeControl,
  FrameDecoder,
} from "../dnstap/fstrm.ts";
import { sleep } from "../sleep.ts";

/** A dnstap output open for data frames. */
export interface DnstapOutput {
  write(frames: Uint8Array[]): Promise<void>;
  /** Write STOP (and on a socket wait for FINISH), then close. */
  close(): Promise<void>;
}

async function writeAll(w: { write(b: Uint8Array): Promise<number> }, bytes: Uint8Array) {
  for (let at = 0; at < bytes.length;) at += await w.write(bytes.subarray(at));
}

function join(frames: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(frames.reduce((n, f) => n + f.length, 0));
  let at = 0;
  for (const f of frames) {
    out.set(f, at);
    at += f.length;
  }
  return out;
}

/** Create the dnstap file `path` (START written), as named does when it opens its output. */
export async function openDnstapFile(path: string): Promise<DnstapOutput> {
  const file = await Deno.open(path, { write: true, create: true, truncate: true });
  await writeAll(file, encodeControl(Control.START, [DNSTAP_CONTENT_TYPE]));
  let open = true;
  return {
    async write(frames) {
      if (open && frames.length > 0) await writeAll(file, join(frames));
    },
    async close() {
      if (!open) return;
      open = false;
      await writeAll(file, encodeControl(Control.STOP));
      file.close();
    },
  };
}

/** Read the next control frame from `conn` (data frames are not expected from a reader). */
async function readControl(conn: Deno.UnixConn, decoder: FrameDecoder): Promise<number> {
  const buf = new Uint8Array(4096);
  for (;;) {
    const f = decoder.next();
    if (f?.kind === "control") return f.type;
    if (f) continue;
    const n = await conn.read(buf);
    if (n === null) throw new Error("the dnstap socket closed during the handshake");
    decoder.push(buf.slice(0, n));
  }
}

/**
 * Connect to serve's dnstap socket at `path` (retried until `timeoutMs` passes: serve creates
 * it once its other services are up) and do named's side of the handshake.
 */
export async function connectDnstapSocket(
  path: string,
  options: { timeoutMs: number; signal?: AbortSignal },
): Promise<DnstapOutput> {
  const until = Date.now() + options.timeoutMs;
  let conn: Deno.UnixConn;
  for (;;) {
    try {
      conn = await Deno.connect({ transport: "unix", path });
      break;
    } catch (error) {
      if (Date.now() > until || options.signal?.aborted) {
        throw new Error(`Cannot connect to the dnstap socket ${path}`, { cause: error });
      }
      await sleep(100, options.signal);
    }
  }
  const decoder = new FrameDecoder();
  try {
    await writeAll(conn, encodeControl(Control.READY, [DNSTAP_CONTENT_TYPE]));
    const answer = await readControl(conn, decoder);
    if (answer !== Control.ACCEPT) {
      throw new Error(`the dnstap socket answered READY with ${controlName(answer)}`);
    }
    await writeAll(conn, encodeControl(Control.START, [DNSTAP_CONTENT_TYPE]));
  } catch (error) {
    conn.close();
    throw error;
  }
  let open = true;
  return {
    async write(frames) {
      if (open && frames.length > 0) await writeAll(conn, join(frames));
    },
    async close() {
      if (!open) return;
      open = false;
      try {
        await writeAll(conn, encodeControl(Control.STOP));
        const timer = setTimeout(() => conn.close(), 5000);
        await readControl(conn, decoder).catch(() => {});
        clearTimeout(timer);
      } finally {
        try {
          conn.close();
        } catch { /* closed by the timer */ }
      }
    },
  };
}
