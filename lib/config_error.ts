/**
 * The error of a configuration that cannot be used.
 *
 * @module
 */

/** A configuration that cannot be used; `message` names the key and what is allowed. */
export class ConfigError extends Error {
  override name = "ConfigError";
}
