/**
 * The error of a database that cannot be reached or used, shared by the modules that open
 * one (lib/db/connect.ts, lib/db/embedded.ts) without either importing the other.
 *
 * @module
 */

/** The database cannot be reached or used; the message says where and what to do. */
export class DatabaseError extends Error {
  override name = "DatabaseError";
}
