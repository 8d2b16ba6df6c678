/**
 * An edge's checkpoints (it has no database): how far each file was published, in a small
 * JSON file in `DNSA_DATA_DIR` (`bus-checkpoints-<node>.json`). Every write replaces the file
 * atomically (write a temporary file, fsync it, rename it over the old one, fsync the
 * directory), so after a crash the file holds the last write that completed. A lock file
 * keeps two edge processes of one node from publishing the same files at once.
 *
 * @module
 */
import { join } from "node:path";

/** One file's entry. */
export interface LocalCheckpoint {
  offset: number;
  path: string;
  /** Epoch ms of the last write. */
  at: number;
}

/** Entries kept (the most recently written); files of long ago are forgotten. */
const MAX_ENTRIES = 2000;

/** The checkpoints of one node, loaded from and written to `DNSA_DATA_DIR`. */
export class LocalCheckpoints {
  readonly file: string;
  #entries: Map<string, LocalCheckpoint>;
  #lock: Deno.FsFile;
  #writing: Promise<void> = Promise.resolve();

  private constructor(file: string, entries: Map<string, LocalCheckpoint>, lock: Deno.FsFile) {
    this.file = file;
    this.#entries = entries;
    this.#lock = lock;
  }

  /** Open (creating `dir` when missing) and lock the checkpoints of `node`. */
  static async open(dir: string, node: string): Promise<LocalCheckpoints> {
    await Deno.mkdir(dir, { recursive: true });
    const file = join(dir, `bus-checkpoints-${node}.json`);
    const lock = await Deno.open(`${file}.lock`, { create: true, write: true });
    await lock.lock(true); // another edge process of this node: wait for it to stop
    let entries = new Map<string, LocalCheckpoint>();
    try {
      const parsed = JSON.parse(await Deno.readTextFile(file)) as Record<string, LocalCheckpoint>;
      entries = new Map(Object.entries(parsed));
    } catch (error) {
      if (!(error instanceof Deno.errors.NotFound)) {
        lock.close();
        throw new Error(
          `Cannot read the edge checkpoints "${file}": ${(error as Error).message} ` +
            "(remove it to publish every file again from its start; the central tier skips " +
            "what it already stored)",
          { cause: error },
        );
      }
    }
    return new LocalCheckpoints(file, entries, lock);
  }

  /** Where `fingerprint` was published to; null when never. */
  get(fingerprint: string): number | null {
    return this.#entries.get(fingerprint)?.offset ?? null;
  }

  /** Record that `fingerprint` was published to `offset`; durable when this resolves. */
  async put(fingerprint: string, entry: { offset: number; path: string }): Promise<void> {
    this.#entries.delete(fingerprint); // re-inserted last: the map is in write order
    this.#entries.set(fingerprint, { ...entry, at: Date.now() });
    while (this.#entries.size > MAX_ENTRIES) {
      this.#entries.delete(this.#entries.keys().next().value!);
    }
    const text = JSON.stringify(Object.fromEntries(this.#entries));
    const write = this.#writing.then(() => writeAtomically(this.file, text));
    this.#writing = write.catch(() => {});
    await write;
  }

  /** Release the lock. */
  close(): void {
    try {
      this.#lock.close();
    } catch { /* closed */ }
  }
}

async function writeAtomically(file: string, text: string): Promise<void> {
  const tmp = `${file}.tmp`;
  {
    using f = await Deno.open(tmp, { create: true, write: true, truncate: true });
    const bytes = new TextEncoder().encode(text);
    let off = 0;
    while (off < bytes.length) off += await f.write(bytes.subarray(off));
    await f.sync();
  }
  await Deno.rename(tmp, file);
  const dir = file.slice(0, file.lastIndexOf("/")) || ".";
  try {
    using d = await Deno.open(dir, { read: true });
    await d.sync();
  } catch { /* some file systems cannot sync a directory */ }
}
