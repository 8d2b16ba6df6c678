/**
 * What a kind of file plugs into the tail (the file pipeline and the follower): how to tell
 * a file's identity, how to decode its bytes into a batch (query-log lines, dnstap frames),
 * and its settle step for the commit (the query-errors join, dnstap's query/response
 * pairing). Everything else (rotated sets, checkpoints, batches committed in order with
 * their checkpoint, the watcher, the outage backoff) is the same for every source.
 *
 * @module
 */
import type { Batch, BatchSource } from "../ingest/batch.ts";
import type { SettleStep, WriterContext } from "../ingest/commit.ts";
import type { SourceFile } from "./source_file.ts";

/** Where a reader puts what it decodes. */
export interface BatchCursor {
  /** The batch being filled; its `endOffset` is the offset after the last record taken. */
  readonly batch: Batch;
  /** Hand the batch over to be committed (it is full) and go on with a fresh one. */
  cut(): Promise<void>;
}

/** Decodes one open file from its checkpoint into batches. */
export interface FileReader {
  /** Decode the next bytes of the file; returns how many records they completed. */
  push(block: Uint8Array, cursor: BatchCursor): Promise<number>;
  /**
   * The file ended here. Returns the bytes of an unfinished last record. With `final` (a
   * rotated file left unchanged, see file_set.ts: nothing will be appended) that record is
   * taken as a reject, reason `unterminated`, and nothing is left pending.
   */
  end(
    cursor: BatchCursor,
    final: boolean,
  ): { pendingBytes: number } | Promise<{ pendingBytes: number }>;
  /**
   * Reading stopped part-way (a read error): put what was decoded into the cursor's batch
   * (a reader that decodes elsewhere, lib/ingest/parse_thread.ts).
   */
  flush?(cursor: BatchCursor): Promise<void>;
}

/** A kind of file the tail reads. One per run (a follower makes one per pass). */
export interface TailSource {
  /** Reads per block (default: SourceFile's). */
  readonly blockBytes?: number;
  /** Batches committing at once while the next is decoded. */
  readonly commitsInFlight: number;
  /** A record still being written counts as a line seen (the query log's `lines`). */
  readonly countPending: boolean;
  /**
   * The identity of the open `file`, from its first bytes: null while they cannot tell it
   * from a later file yet. With `final` what is there is all there will be.
   * May throw for a file that is not of this kind.
   */
  fingerprint(file: SourceFile, options: { final: boolean }): Promise<string | null>;
  /** A fresh batch for the stretch of a file from `source.startOffset`. */
  newBatch(source: BatchSource): Batch;
  /** A reader of the open `file` from `start` (its checkpoint). */
  reader(file: SourceFile, start: number): FileReader;
  /** Last in-memory step before a batch is committed (dnstap: pair what can be paired). */
  seal?(batch: Batch): void;
  /** The source's part of each commit. */
  readonly settle: SettleStep;
  /**
   * Reading a file stopped on a database failure or a checkpoint another process moved: it is
   * read again from the database's checkpoint, so forget what was decoded past the last batch
   * handed to the commit (dnstap: queries waiting for their response in memory).
   */
  reset?(): void;
  /** After the run's files: commit what their end settles; returns the rows it added. */
  finish?(ctx: WriterContext): Promise<number>;
  /** Offset after the last complete record of `file` (all of it when `final`). */
  recordsEnd(file: SourceFile, final: boolean): Promise<number>;
}
