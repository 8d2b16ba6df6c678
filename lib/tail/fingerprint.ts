/**
 * File identity of a log: the SHA-256 of a file's first line (at most 4 KiB), computed on the
 * uncompressed content. It survives renames (`x` → `x.0`), a new inode, and compression
 * (`x.1` → `x.1.gz`), so a file is recognised wherever it went; copytruncate starts a new
 * first line and so a new identity. (dnstap files have their own, lib/dnstap/file.ts, made
 * with {@linkcode digestHex} too.)
 *
 * @module
 */
import type { SourceFile } from "./source_file.ts";

/** Bytes of the start of a file that identify it. */
export const FINGERPRINT_BYTES = 4096;

/** Hex of the first 16 bytes of the SHA-256 of `bytes`: the form of every fingerprint. */
export async function digestHex(bytes: Uint8Array): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", bytes.slice());
  return Array.from(new Uint8Array(digest).subarray(0, 16), (b) => b.toString(16).padStart(2, "0"))
    .join("");
}

/**
 * The fingerprint of the first bytes of a file, or null when they hold no complete first line
 * (nor 4 KiB): such a file cannot be told apart from a later one yet, so nothing is read.
 * With `final` (a rotated file, which no one appends to any more) an unfinished first line
 * is all there will ever be, and identifies the file; only an empty file has none.
 */
export async function fingerprintBytes(
  head: Uint8Array,
  options: { final?: boolean } = {},
): Promise<string | null> {
  const nl = head.indexOf(10);
  const first = nl >= 0 ? head.subarray(0, nl + 1) : head;
  if (nl < 0 && head.length < FINGERPRINT_BYTES && !(options.final && head.length > 0)) {
    return null;
  }
  return await digestHex(first);
}

/** The fingerprint of the open log `file` (see {@linkcode fingerprintBytes}). */
export async function fingerprintLog(
  file: SourceFile,
  options: { final?: boolean } = {},
): Promise<string | null> {
  const head = await file.head(FINGERPRINT_BYTES, (h) => h.indexOf(10) >= 0);
  return await fingerprintBytes(head, options);
}
