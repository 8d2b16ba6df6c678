/**
 * The error of an HTTP server that could not listen: a module of its own, so that the
 * composition root (main.ts) names it without loading the HTTP service.
 *
 * @module
 */

/** The server could not listen; the message names DNSA_HTTP and what to do. */
export class HttpListenError extends Error {
  override name = "HttpListenError";
}
