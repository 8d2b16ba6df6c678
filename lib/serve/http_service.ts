/**
 * serve's HTTP service: the dashboard, the JSON API and the Prometheus metrics on DNSA_HTTP
 * (lib/http/server.ts). On PostgreSQL, HTTP reads through its own small pool of read-only
 * transactions (as DNSA_HTTP_DATABASE_URL's role, e.g. dns_reader, when set; else on the read
 * replica of DNSA_READ_DATABASE_URL when set), so requests never write and never take the
 * connections ingest commits with. The embedded database has one connection, shared.
 *
 * @module
 */
import type { JobContext } from "../context.ts";
import { openReadOnlyPool, type Sql } from "../db/connect.ts";
import { DASHBOARD_ASSETS } from "../http/dashboard/assets.ts";
import { type HttpServer, startHttpServer } from "../http/server.ts";
import type { MetricsRecorder } from "../metrics.ts";
import type { Service } from "./service.ts";

/** Options of {@linkcode createHttpService}. */
export interface HttpServiceOptions {
  metrics: MetricsRecorder;
  /** When DNSA_HTTP's port is taken, listen on a free port of the same host (the demo). */
  freePortWhenTaken?: boolean;
  /** Called once it listens, with its URL. */
  onListen?: (url: string) => void;
}

/** The HTTP server of `ctx`'s configuration. */
export function createHttpService(ctx: JobContext, options: HttpServiceOptions): Service {
  const { config, log } = ctx;
  const abort = new AbortController();
  let sql: Sql | null = null;
  let server: HttpServer | null = null;
  const closePool = async () => {
    const pool = sql;
    sql = null;
    if (pool && pool !== ctx.sql) await pool.end({ timeout: 5 });
  };
  const listen = (port: number, deps: Parameters<typeof startHttpServer>[0]) =>
    startHttpServer(deps, { hostname: config.http.host, port, signal: abort.signal });
  return {
    name: "http",
    async start() {
      sql = config.database.kind === "postgres"
        ? openReadOnlyPool(config.httpDatabaseUrl ?? config.readDatabaseUrl ?? config.database.url)
        : ctx.sql;
      const deps = { sql, config, metrics: options.metrics, log, assets: DASHBOARD_ASSETS };
      try {
        server = await listen(config.http.port, deps).catch((error) => {
          const taken = error instanceof Error && error.cause instanceof Deno.errors.AddrInUse;
          if (!options.freePortWhenTaken || !taken) throw error;
          log.warn("demo: DNSA_HTTP is in use, serving on a free port", {
            port: config.http.port,
          });
          return listen(0, deps);
        });
      } catch (error) {
        await closePool();
        throw error;
      }
      log.info("http listening", {
        job: "serve",
        url: server.url,
        token: config.httpToken === null ? "none (loopback)" : "required",
      });
      options.onListen?.(server.url);
    },
    async stop() {
      abort.abort();
      await server?.finished;
      await closePool();
    },
  };
}
