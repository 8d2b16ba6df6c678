/**
 * A service: one long-running part of `serve` (the tailer, the dnstap listener, the scheduler,
 * the HTTP server, the ingest statistics), started and stopped by serve in order.
 *
 * @module
 */

/** A part of serve with a start and a stop. */
export interface Service {
  /** What the logs call it. */
  readonly name: string;
  /** Start; resolves once the service runs (HTTP: once it listens). */
  start(): Promise<void>;
  /** Stop and wait until it has stopped; idempotent, and safe before start. */
  stop(): Promise<void>;
}

/** A service that reads a source into the database until it is stopped. */
export interface IngestService<T> extends Service {
  /**
   * Settles when the service has ended: with its counters after {@linkcode Service.stop}
   * (what was read is committed), rejected when it failed on its own.
   */
  readonly finished: Promise<T>;
}

/**
 * An {@linkcode IngestService} around `run`, which reads until its signal aborts: `start`
 * calls it, `stop` aborts it and waits for it to finish.
 */
export function ingestService<T>(
  name: string,
  run: (signal: AbortSignal) => Promise<T>,
): IngestService<T> {
  const abort = new AbortController();
  const done = Promise.withResolvers<T>();
  done.promise.catch(() => {}); // a failure is serve's to report, through `finished`
  let started = false;
  return {
    name,
    finished: done.promise,
    start() {
      if (!started && !abort.signal.aborted) {
        started = true;
        run(abort.signal).then(done.resolve, done.reject);
      }
      return Promise.resolve();
    },
    async stop() {
      abort.abort();
      if (started) await done.promise.catch(() => {});
    },
  };
}
