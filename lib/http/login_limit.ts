/**
 * The rate limit of `POST /login`: a client address that sent `attempts` wrong tokens within
 * `windowMs` is answered 429 (with Retry-After) until its window ends, before its token is
 * even compared. Memory is bounded: at most `maxClients` addresses are remembered; expired
 * ones go first, then the oldest. Behind a reverse proxy every client shares the proxy's
 * address, so the limit is then the proxy's.
 *
 * @example
 * ```ts
 * const limit = new LoginLimiter();
 * const wait = limit.retryAfter("192.0.2.7"); // seconds to wait, 0 = may try
 * if (wait === 0 && !tokenOk) limit.failed("192.0.2.7");
 * ```
 * @module
 */

/** Options of {@linkcode LoginLimiter}. */
export interface LoginLimitOptions {
  /** Wrong tokens allowed per address and window (default 10). */
  attempts?: number;
  /** The window, in milliseconds (default 60 s). */
  windowMs?: number;
  /** Addresses remembered at most (default 10 000). */
  maxClients?: number;
  now?: () => number;
}

/** Wrong login attempts per client address, in fixed windows. */
export class LoginLimiter {
  readonly #attempts: number;
  readonly #windowMs: number;
  readonly #maxClients: number;
  readonly #now: () => number;
  /** Address → its window's start and wrong tokens; insertion order = oldest first. */
  readonly #clients = new Map<string, { start: number; failures: number }>();

  constructor(options: LoginLimitOptions = {}) {
    this.#attempts = options.attempts ?? 10;
    this.#windowMs = options.windowMs ?? 60_000;
    this.#maxClients = options.maxClients ?? 10_000;
    this.#now = options.now ?? Date.now;
  }

  /** Addresses remembered now. */
  get size(): number {
    return this.#clients.size;
  }

  /** Seconds `address` must wait before it may try a token; 0 when it may now. */
  retryAfter(address: string): number {
    const entry = this.#clients.get(address);
    if (!entry) return 0;
    const left = entry.start + this.#windowMs - this.#now();
    if (left <= 0) {
      this.#clients.delete(address);
      return 0;
    }
    return entry.failures >= this.#attempts ? Math.ceil(left / 1000) : 0;
  }

  /** Count a wrong token from `address`. */
  failed(address: string): void {
    const now = this.#now();
    const entry = this.#clients.get(address);
    if (entry && entry.start + this.#windowMs > now) {
      entry.failures++;
      return;
    }
    this.#clients.delete(address);
    if (this.#clients.size >= this.#maxClients) this.#evict(now);
    this.#clients.set(address, { start: now, failures: 1 });
  }

  #evict(now: number): void {
    for (const [address, entry] of this.#clients) {
      if (entry.start + this.#windowMs <= now) this.#clients.delete(address);
    }
    // Still full: forget the oldest windows.
    for (const address of this.#clients.keys()) {
      if (this.#clients.size < this.#maxClients) break;
      this.#clients.delete(address);
    }
  }
}
