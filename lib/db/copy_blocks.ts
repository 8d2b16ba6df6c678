/**
 * The 1 MiB blocks that binary COPY data is written into (lib/db/binary_copy.ts), kept for
 * reuse once sent. A fresh 1 MiB array is zeroed, costs the kernel a page fault per 4 KiB and
 * the collector a turn: on a large backfill that was hundreds of MB per minute of churn. At
 * most 64 (64 MiB) wait here, per thread: blocks written on the parsing thread
 * (lib/ingest/parse_worker.ts) come back to it, transferred, once their COPY has completed.
 *
 * @module
 */

/** Bytes of a block. */
export const COPY_BLOCK = 1 << 20;
const MAX_SPARE_BLOCKS = 64;
const spareBlocks: Uint8Array[] = [];

/** A block of `bytes` (a spare one when it is a whole block). */
export function newBlock(bytes: number): Uint8Array {
  return bytes === COPY_BLOCK
    ? spareBlocks.pop() ?? new Uint8Array(COPY_BLOCK)
    : new Uint8Array(bytes);
}

/**
 * Keep the whole blocks of `buffers` for later writers. Only once nothing reads them any more:
 * after the COPY that sent them has completed (the driver copies each block as it is written
 * to the stream).
 */
export function recycleBlocks(buffers: Iterable<ArrayBufferLike>): void {
  for (const b of buffers) {
    if (b.byteLength !== COPY_BLOCK || spareBlocks.length >= MAX_SPARE_BLOCKS) continue;
    spareBlocks.push(new Uint8Array(b));
  }
}
