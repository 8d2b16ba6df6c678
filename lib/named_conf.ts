/**
 * A tolerant reader of BIND's named.conf: a tokenizer (braces, semicolons, quoted strings,
 * the three comment styles), a parser into nested statements, and a loader that follows
 * `include` statements. It understands the grammar's shape, not its meaning, so any option
 * (known to this program or not) parses; `named-checkconf` stays the judge of validity.
 *
 * @example
 * ```ts
 * const conf = await loadNamedConf("/etc/bind/named.conf");
 * const logging = findAll(conf.statements, "logging")[0];
 * ```
 * @module
 */
import { dirname, isAbsolute, join } from "node:path";
import { errorText } from "./error_text.ts";

/** A word or quoted string of a statement, or a `{ … }` block. */
export type ConfValue =
  | { kind: "word"; text: string; quoted: boolean }
  | { kind: "block"; statements: ConfStatement[] };

/** One statement: its values up to the `;`, and where it starts. */
export interface ConfStatement {
  values: ConfValue[];
  file: string;
  line: number;
}

/** Something the reader could not make sense of; the rest is still read. */
export interface ConfProblem {
  file: string;
  line: number;
  message: string;
}

interface Token {
  kind: "{" | "}" | ";" | "word";
  text: string;
  quoted: boolean;
  line: number;
}

const SPECIAL = new Set(["{", "}", ";", '"']);

/** Split named.conf text into tokens; comments (`//`, `#`, `/* *\/`) are dropped. */
export function tokenize(text: string, problems: ConfProblem[] = [], file = ""): Token[] {
  const tokens: Token[] = [];
  let line = 1;
  let i = 0;
  while (i < text.length) {
    const c = text[i];
    if (c === "\n") {
      line++;
      i++;
    } else if (c === " " || c === "\t" || c === "\r" || c === "\f" || c === "\v") {
      i++;
    } else if (c === "#" || (c === "/" && text[i + 1] === "/")) {
      while (i < text.length && text[i] !== "\n") i++;
    } else if (c === "/" && text[i + 1] === "*") {
      const end = text.indexOf("*/", i + 2);
      const stop = end < 0 ? text.length : end + 2;
      if (end < 0) problems.push({ file, line, message: "unterminated /* comment" });
      for (let j = i; j < stop; j++) if (text[j] === "\n") line++;
      i = stop;
    } else if (c === "{" || c === "}" || c === ";") {
      tokens.push({ kind: c, text: c, quoted: false, line });
      i++;
    } else if (c === '"') {
      const start = line;
      let s = "";
      i++;
      while (i < text.length && text[i] !== '"') {
        if (text[i] === "\\" && i + 1 < text.length) i++;
        if (text[i] === "\n") line++;
        s += text[i++];
      }
      if (i >= text.length) problems.push({ file, line: start, message: "unterminated string" });
      i++;
      tokens.push({ kind: "word", text: s, quoted: true, line: start });
    } else {
      const start = i;
      while (i < text.length && !/\s/.test(text[i]) && !SPECIAL.has(text[i])) {
        if (text[i] === "#" || (text[i] === "/" && (text[i + 1] === "/" || text[i + 1] === "*"))) {
          break;
        }
        i++;
      }
      tokens.push({ kind: "word", text: text.slice(start, i), quoted: false, line });
    }
  }
  return tokens;
}

/** Parse named.conf text into statements; problems (unbalanced braces…) are collected. */
export function parseNamedConf(
  text: string,
  options: { file?: string; problems?: ConfProblem[] } = {},
): ConfStatement[] {
  const file = options.file ?? "";
  const problems = options.problems ?? [];
  const tokens = tokenize(text, problems, file);
  let pos = 0;
  const parseList = (depth: number): ConfStatement[] => {
    const list: ConfStatement[] = [];
    let current: ConfStatement | null = null;
    while (pos < tokens.length) {
      const t = tokens[pos++];
      if (t.kind === "}") {
        if (depth > 0) {
          if (current) list.push(current); // tolerated: a missing ';' before '}'
          return list;
        }
        problems.push({ file, line: t.line, message: "unexpected '}'" });
        continue;
      }
      if (t.kind === ";") {
        if (current) list.push(current);
        current = null;
        continue;
      }
      current ??= { values: [], file, line: t.line };
      if (t.kind === "{") {
        current.values.push({ kind: "block", statements: parseList(depth + 1) });
      } else {
        current.values.push({ kind: "word", text: t.text, quoted: t.quoted });
      }
    }
    if (current) list.push(current);
    if (depth > 0) problems.push({ file, line: tokens.at(-1)?.line ?? 1, message: "missing '}'" });
    return list;
  };
  return parseList(0);
}

/** The first word of a statement, lower-cased (`options`, `zone`, `channel`…). */
export function nameOf(s: ConfStatement): string {
  const v = s.values[0];
  return v?.kind === "word" ? v.text.toLowerCase() : "";
}

/** The words of a statement after its name (blocks left out). */
export function argsOf(s: ConfStatement): string[] {
  return s.values.slice(1).flatMap((v) => v.kind === "word" ? [v.text] : []);
}

/** The first block of a statement (`options { … }`), or an empty list. */
export function blockOf(s: ConfStatement): ConfStatement[] {
  for (const v of s.values) if (v.kind === "block") return v.statements;
  return [];
}

/** Every statement of `list` (not nested) whose name is `name`. */
export function findAll(list: readonly ConfStatement[], name: string): ConfStatement[] {
  return list.filter((s) => nameOf(s) === name);
}

/** The words after `key` in a statement (`file "x" versions 7 size 100m` → `versions` → 7). */
export function wordAfter(s: ConfStatement, key: string): string | undefined {
  for (let i = 1; i < s.values.length - 1; i++) {
    const v = s.values[i];
    const next = s.values[i + 1];
    if (v.kind === "word" && !v.quoted && v.text.toLowerCase() === key && next.kind === "word") {
      return next.text;
    }
  }
  return undefined;
}

/** A named.conf with its includes read in place. */
export interface LoadedNamedConf {
  statements: ConfStatement[];
  /** Every file read, the top one first. */
  files: string[];
  problems: ConfProblem[];
}

/** Options of {@linkcode loadNamedConf}. */
export interface LoadNamedConfOptions {
  /** Reads a file (default Deno.readTextFile); tests map paths to fixtures with it. */
  readFile?: (path: string) => Promise<string>;
}

const MAX_INCLUDE_DEPTH = 16;

/**
 * Read `path` and every file it includes, at any depth, into one statement tree. A relative
 * include is taken relative to the including file's directory. A file that cannot be read is
 * a problem, not an error; the top file's own read error is thrown.
 */
export async function loadNamedConf(
  path: string,
  options: LoadNamedConfOptions = {},
): Promise<LoadedNamedConf> {
  const readFile = options.readFile ?? ((p: string) => Deno.readTextFile(p));
  const files: string[] = [];
  const problems: ConfProblem[] = [];
  const expand = async (list: ConfStatement[], from: string, depth: number) => {
    const out: ConfStatement[] = [];
    for (const s of list) {
      if (nameOf(s) === "include") {
        const target = argsOf(s)[0];
        if (target === undefined) {
          problems.push({ file: s.file, line: s.line, message: "include without a file name" });
          continue;
        }
        const resolved = isAbsolute(target) ? target : join(dirname(from), target);
        if (depth >= MAX_INCLUDE_DEPTH || files.includes(resolved)) {
          problems.push({ file: s.file, line: s.line, message: `include loop at ${resolved}` });
          continue;
        }
        let text: string;
        try {
          text = await readFile(resolved);
        } catch (error) {
          const why = errorText(error);
          problems.push({ file: s.file, line: s.line, message: `cannot read ${resolved}: ${why}` });
          continue;
        }
        files.push(resolved);
        const parsed = parseNamedConf(text, { file: resolved, problems });
        out.push(...await expand(parsed, resolved, depth + 1));
        continue;
      }
      for (const v of s.values) {
        if (v.kind === "block") v.statements = await expand(v.statements, from, depth);
      }
      out.push(s);
    }
    return out;
  };
  const text = await readFile(path);
  files.push(path);
  const statements = await expand(parseNamedConf(text, { file: path, problems }), path, 0);
  return { statements, files, problems };
}
