/**
 * File identity: the SHA-256 of a file's first line (at most 4 KiB), computed on the
 * uncompressed content. It survives renames (`x` → `x.0`), a new inode, and compression
 * (`x.1` → `x.1.gz`), so a file is recognised wherever it went; copytruncate starts a new
 * first line and so a new identity.
 *
 * @module
 */

/** Bytes of the start of a file that identify it. */
export const FINGERPRINT_BYTES = 4096;

/**
 * The fingerprint of the first bytes of a file, or null when they hold no complete first line
 * (nor 4 KiB): such a file cannot be told apart from a later one yet, so nothing is read.
 */
export async function fingerprintBytes(head: Uint8Array): Promise<string | null> {
  const nl = head.indexOf(10);
  const first = nl >= 0 ? head.subarray(0, nl + 1) : head;
  if (nl < 0 && head.length < FINGERPRINT_BYTES) return null;
  const digest = await crypto.subtle.digest("SHA-256", first.slice());
  return Array.from(new Uint8Array(digest).subarray(0, 16), (b) => b.toString(16).padStart(2, "0"))
    .join("");
}
