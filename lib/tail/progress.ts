/**
 * Progress of long imports on a terminal: file, lines, bytes, rate and time left, redrawn
 * at most once a second on stderr. Disabled (a no-op) in pipes and under systemd.
 *
 * @module
 */

/** Progress reporter of one run. */
export interface Progress {
  file(path: string, size: number, startOffset: number): void;
  advance(offset: number, lines: number): void;
  done(): void;
}

/** A {@linkcode Progress}; a no-op unless `enabled`. */
export function createProgress(options: { enabled: boolean; files: readonly string[] }): Progress {
  if (!options.enabled) return { file() {}, advance() {}, done() {} };
  const enc = new TextEncoder();
  const started = performance.now();
  let name = "", size = 0, fileLines = 0, index = 0, totalLines = 0, last = 0, drawn = false;
  const draw = (offset: number) => {
    const secs = (performance.now() - started) / 1000;
    const rate = secs > 0 ? totalLines / secs : 0;
    const frac = size > 0 ? Math.min(1, offset / size) : 0;
    const mb = (n: number) => (n / 1048576).toFixed(1);
    const left = frac > 0.01 && !name.endsWith(".gz")
      ? ` ~${Math.round(((1 - frac) * secs) / Math.max(frac, 1e-9))}s left in file`
      : "";
    const line = `\r[${index}/${options.files.length}] ${name}: ${totalLines} lines, ` +
      `${mb(offset)}/${mb(size)} MB, ${Math.round(rate)} lines/s${left}\x1b[K`;
    Deno.stderr.writeSync(enc.encode(line));
    drawn = true;
  };
  return {
    file(path, fileSize, startOffset) {
      name = path;
      size = fileSize;
      fileLines = 0;
      index++;
      draw(startOffset);
    },
    advance(offset, lines) {
      totalLines += lines - fileLines;
      fileLines = lines;
      const now = performance.now();
      if (now - last >= 1000) {
        last = now;
        draw(offset);
      }
    },
    done() {
      if (drawn) Deno.stderr.writeSync(enc.encode("\n"));
    },
  };
}
