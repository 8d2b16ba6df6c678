/**
 * The one way the program turns a caught value into text for a log field, a job record or a
 * message: its message, with the credentials a connection string may carry masked.
 *
 * ```ts
 * errorText(new Error("cannot reach postgres://dnsa:secret@db/dnsa"));
 * // "cannot reach postgres://dnsa:***@db/dnsa"
 * ```
 *
 * @module
 */

/** The message of an error, without credentials that a connection string may carry. */
export function errorText(error: unknown): string {
  const text = error instanceof Error ? error.message : String(error);
  return text.replace(/(postgres(?:ql)?:\/\/[^:@/\s]*:)[^@\s]*@/g, "$1***@");
}
