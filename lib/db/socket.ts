/**
 * The TCP connections postgres.js opens, with Nagle's algorithm off. Without TCP_NODELAY a
 * short message sent right after another (a query after COPY's CopyDone, COPY's own probe)
 * waits for the server's delayed ACK: measured 44 ms per COPY on loopback, against 1 ms
 * with it. Every COPY of ingest and of the rollup pays that otherwise.
 *
 * Without TLS the connection is Deno's own socket (lib/db/deno_socket.ts: writes cost a
 * third to a fifth of node:net's); with TLS (postgres.js starts it on node:net's socket) it is
 * node:net's.
 *
 * @module
 */
import net from "node:net";
import { connectDenoSocket, type DenoSocket } from "./deno_socket.ts";

/** What postgres.js passes to its `socket` option: its parsed connection options. */
export interface SocketTarget {
  host: string[];
  port: number[];
  path?: string | false;
  connect_timeout?: number;
  /** postgres.js's TLS setting: false (or absent) for none. */
  ssl?: unknown;
}

/** A socket postgres.js can use: node:net's, or Deno's own (lib/db/deno_socket.ts). */
export type PgSocket = net.Socket | DenoSocket;

/** CONNECT_TIMEOUT for `target`. */
function connectTimeout(target: { host: string; port: number } | { path: string }): Error {
  const where = "path" in target ? target.path : `${target.host}:${target.port}`;
  return Object.assign(new Error(`connect to ${where} timed out`), { code: "CONNECT_TIMEOUT" });
}

/** Deno's socket to `target`, or CONNECT_TIMEOUT after `timeoutMs`. */
function connectDeno(
  target: { host: string; port: number } | { path: string },
  timeoutMs: number,
): Promise<DenoSocket> {
  return new Promise((resolve, reject) => {
    let late = false;
    const timer = setTimeout(() => {
      late = true;
      reject(connectTimeout(target));
    }, timeoutMs);
    connectDenoSocket(target).then((socket) => {
      clearTimeout(timer);
      if (late) socket.destroy();
      else resolve(socket);
    }, (error) => {
      clearTimeout(timer);
      reject(error);
    });
  });
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
      reject(connectTimeout(target));
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
export async function openNoDelaySocket(target: SocketTarget): Promise<PgSocket> {
  const timeoutMs = (target.connect_timeout ?? 30) * 1000;
  const open = target.ssl ? connectOne : connectDeno;
  if (target.path) return await open({ path: target.path }, timeoutMs);
  let last: unknown = null;
  for (let i = 0; i < target.host.length; i++) {
    try {
      return await open(
        { host: target.host[i], port: target.port[i] ?? target.port[0] },
        timeoutMs,
      );
    } catch (error) {
      last = error;
    }
  }
  throw last;
}
