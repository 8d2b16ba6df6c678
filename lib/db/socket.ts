/**
 * The TCP connections postgres.js opens, with Nagle's algorithm off. Without TCP_NODELAY a
 * short message sent right after another (a query after COPY's CopyDone, COPY's own probe)
 * waits for the server's delayed ACK: measured 44 ms per COPY on loopback, against 1 ms
 * with it. Every COPY of ingest and of the rollup pays that otherwise.
 *
 * @module
 */
import net from "node:net";

/** What postgres.js passes to its `socket` option: its parsed connection options. */
export interface SocketTarget {
  host: string[];
  port: number[];
  path?: string | false;
  connect_timeout?: number;
}

function connectOne(
  target: { host: string; port: number } | { path: string },
  timeoutMs: number,
): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(target);
    socket.setNoDelay(true);
    const timer = setTimeout(() => {
      socket.destroy();
      const where = "path" in target ? target.path : `${target.host}:${target.port}`;
      reject(
        Object.assign(new Error(`connect to ${where} timed out`), { code: "CONNECT_TIMEOUT" }),
      );
    }, timeoutMs);
    socket.once("connect", () => {
      clearTimeout(timer);
      socket.off("error", reject);
      resolve(socket);
    });
    socket.once("error", (error) => {
      clearTimeout(timer);
      reject(error);
    });
  });
}

/**
 * postgres.js options that connect through {@linkcode openNoDelaySocket}; spread into the
 * options of every client (`socket` is a documented option missing from its types).
 */
export const NO_DELAY_OPTIONS: Record<string, unknown> = { socket: openNoDelaySocket };

/**
 * A connected socket with TCP_NODELAY for postgres.js's `socket` option: the unix socket
 * path, or each host in turn until one answers (the last error when none does).
 */
export async function openNoDelaySocket(target: SocketTarget): Promise<net.Socket> {
  const timeoutMs = (target.connect_timeout ?? 30) * 1000;
  if (target.path) return await connectOne({ path: target.path }, timeoutMs);
  let last: unknown = null;
  for (let i = 0; i < target.host.length; i++) {
    try {
      return await connectOne(
        { host: target.host[i], port: target.port[i] ?? target.port[0] },
        timeoutMs,
      );
    } catch (error) {
      last = error;
    }
  }
  throw last;
}
