/**
 * File identity: the SHA-256 of a file's first line (at most 4 KiB), computed on the
 * uncompressed content. It survives renames (`x` → `x.0`), a new inode, and compression
 * (`x.1` → `x.1.gz`), so a file is recognised wherever it went; copytruncate starts a new
 * first line and so a new identity.
 *
 * @module
 */
import { readBlocks } from "./line_reader.ts";

/** Bytes of the start of a file that identify it. */
export const FINGERPRINT_BYTES = 4096;

/**
 * The fingerprint of `path`, or null when the file does not yet hold a complete first line
 * (nor 4 KiB): it cannot be told apart from a later file yet, so nothing is read from it.
 */
export async function fingerprintFile(
  path: string,
  options: { gzip?: boolean } = {},
): Promise<string | null> {
  const gzip = options.gzip ?? path.endsWith(".gz");
  const head = new Uint8Array(FINGERPRINT_BYTES);
  let have = 0;
  const blocks = readBlocks(path, 0, gzip);
  try {
    for await (const block of blocks) {
      const take = Math.min(block.length, FINGERPRINT_BYTES - have);
      head.set(block.subarray(0, take), have);
      have += take;
      if (have === FINGERPRINT_BYTES || head.subarray(0, have).indexOf(10) >= 0) break;
    }
  } finally {
    await blocks.return(undefined as never);
  }
  return fingerprintBytes(head.subarray(0, have));
}

/** The fingerprint of the first bytes of a file (see {@linkcode fingerprintFile}). */
export async function fingerprintBytes(head: Uint8Array): Promise<string | null> {
  const nl = head.indexOf(10);
  const first = nl >= 0 ? head.subarray(0, nl + 1) : head;
  if (nl < 0 && head.length < FINGERPRINT_BYTES) return null;
  const digest = await crypto.subtle.digest("SHA-256", first.slice());
  return Array.from(new Uint8Array(digest).subarray(0, 16), (b) => b.toString(16).padStart(2, "0"))
    .join("");
}
