/**
 * The HTTP server of `serve` and `demo`: `Deno.serve` on DNSA_HTTP with the handler of
 * router.ts. It stops when its signal aborts: no new connections, requests in flight finish,
 * then `finished` resolves (close the database only after that).
 *
 * @example
 * ```ts
 * const http = await startHttpServer(deps, { hostname: "127.0.0.1", port: 0, signal });
 * console.log(`dashboard at ${http.url}`);
 * await http.finished;
 * ```
 * @module
 */
import { errorText } from "../error_text.ts";
import { createHandler, type HttpDeps } from "./router.ts";
import { HttpListenError } from "./listen_error.ts";

/** A running server. */
export interface HttpServer {
  /** `http://host:port/` as bound (the real port when 0 was asked). */
  url: string;
  hostname: string;
  port: number;
  /** Resolves once the server stopped after the signal. */
  finished: Promise<void>;
}

export { HttpListenError };

/** Listen on `hostname:port` and serve until `signal` aborts. */
export function startHttpServer(
  deps: HttpDeps,
  options: { hostname: string; port: number; signal: AbortSignal },
): Promise<HttpServer> {
  const handler = createHandler(deps);
  return new Promise((resolve, reject) => {
    let server: Deno.HttpServer<Deno.NetAddr>;
    try {
      server = Deno.serve({
        hostname: options.hostname,
        port: options.port,
        signal: options.signal,
        onListen: () => {},
        onError: (error) => {
          deps.log.error("http: handler failed", {
            error: errorText(error),
          });
          return new Response("internal error\n", { status: 500 });
        },
      }, handler);
    } catch (error) {
      const where = `${options.hostname}:${options.port}`;
      const why = error instanceof Deno.errors.AddrInUse
        ? "the address is in use (another dns-analytics serve or demo?)"
        : error instanceof Deno.errors.AddrNotAvailable
        ? "this machine has no such address"
        : error instanceof Deno.errors.PermissionDenied
        ? "permission denied (ports below 1024 need privileges)"
        : (error as Error).message;
      reject(
        new HttpListenError(
          `Cannot listen on DNSA_HTTP=${where}: ${why}; set DNSA_HTTP to a ` +
            "free HOST:PORT",
          { cause: error },
        ),
      );
      return;
    }
    const addr = server.addr;
    const host = addr.hostname.includes(":") ? `[${addr.hostname}]` : addr.hostname;
    resolve({
      url: `http://${host}:${addr.port}/`,
      hostname: addr.hostname,
      port: addr.port,
      finished: server.finished,
    });
  });
}
