/**
 * Process watching for the benchmarks: peak RSS (VmHWM) and CPU of a process tree, polled from
 * /proc, and the CPU of PostgreSQL's processes split into the benchmark database's backends,
 * background processes and other sessions.
 *
 * @module
 */

/** What {@linkcode watchProcess} saw of one process of the watched tree. */
export interface ProcessSeen {
  pid: number;
  name: string;
  /** Peak resident set (VmHWM), KiB. */
  hwmKb: number;
  /** user + system CPU, seconds, as last sampled. */
  cpuSeconds: number;
}

/** The watched tree's processes, and PostgreSQL's CPU seconds during the watch. */
export interface ProcessUsage {
  processes: ProcessSeen[];
  postgres: { backend: number; background: number; other: number };
}

const TICK = 100; // USER_HZ; `getconf CLK_TCK` is 100 on every Linux we run on.

const SELF_CMDLINE = Deno.readTextFileSync("/proc/self/cmdline");

function readProc(pid: number, file: string): string | null {
  try {
    return Deno.readTextFileSync(`/proc/${pid}/${file}`);
  } catch {
    return null; // the process is gone
  }
}

/** utime + stime of `pid` in seconds, or null when it is gone. */
function cpuOf(pid: number): number | null {
  const stat = readProc(pid, "stat");
  if (stat === null) return null;
  const f = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return (Number(f[11]) + Number(f[12])) / TICK;
}

function childrenOf(pid: number): number[] {
  const out: number[] = [];
  try {
    for (const task of Deno.readDirSync(`/proc/${pid}/task`)) {
      const text = readProc(pid, `task/${task.name}/children`) ?? "";
      for (const c of text.split(" ")) if (c.trim()) out.push(Number(c));
    }
  } catch { /* gone */ }
  return out;
}

function postgresPids(): number[] {
  const pids: number[] = [];
  for (const e of Deno.readDirSync("/proc")) {
    if (!/^\d+$/.test(e.name)) continue;
    if (readProc(Number(e.name), "comm")?.trim() === "postgres") pids.push(Number(e.name));
  }
  return pids;
}

/**
 * Poll `/proc` every `intervalMs` while `rootPid` runs: VmHWM and CPU of it and every
 * descendant (to see whether `deno run` spawns children), and CPU of PostgreSQL's processes,
 * split into backends of `dbName`, background processes and other sessions.
 */
export function watchProcess(
  rootPid: number,
  options: { dbName: string; intervalMs: number },
): { stop(): ProcessUsage } {
  const tree = new Map<number, ProcessSeen>();
  const pg = new Map<
    number,
    { kind: keyof ProcessUsage["postgres"]; base: number; last: number }
  >();
  const classify = (pid: number): keyof ProcessUsage["postgres"] => {
    const cmd = (readProc(pid, "cmdline") ?? "").replaceAll("\0", " ");
    if (cmd.includes(` ${options.dbName} `)) return "backend";
    const session = /^postgres: (\S+: )?\S+ \S+ (\[local\]|[\d.:a-f]+\(\d+\))/.test(cmd);
    return session ? "other" : "background";
  };
  const scanPostgres = (first: boolean) => {
    for (const pid of postgresPids()) {
      const entry = pg.get(pid);
      if (entry && entry.kind !== "background") continue;
      const now = cpuOf(pid) ?? 0;
      // A backend forked during the run started at 0; classification waits for its title.
      const kind = classify(pid);
      pg.set(pid, { kind, base: entry?.base ?? (first ? now : 0), last: now });
    }
  };
  const sample = () => {
    const stack = [rootPid];
    while (stack.length) {
      const pid = stack.pop()!;
      const status = readProc(pid, "status");
      const cpuSeconds = cpuOf(pid);
      if (status === null || cpuSeconds === null) continue;
      const hwm = /VmHWM:\s+(\d+)/.exec(status)?.[1];
      const name = /Name:\s+(\S+)/.exec(status)?.[1] ?? "?";
      // Between fork and exec a child still shows this process's image; an exiting one has
      // no Vm lines. Neither is the program's memory.
      if (hwm === undefined || readProc(pid, "cmdline") === SELF_CMDLINE) continue;
      const seen = tree.get(pid);
      const hwmKb = Math.max(Number(hwm), seen?.name === name ? seen.hwmKb : 0);
      tree.set(pid, { pid, name, hwmKb, cpuSeconds });
      stack.push(...childrenOf(pid));
    }
    for (const [pid, entry] of pg) entry.last = Math.max(entry.last, cpuOf(pid) ?? 0);
  };
  scanPostgres(true);
  let ticks = 0;
  const timer = setInterval(() => {
    sample();
    if (++ticks % 2 === 0) scanPostgres(false); // short-lived backends (psql's) need 100 ms
  }, options.intervalMs);
  return {
    stop() {
      clearInterval(timer);
      scanPostgres(false);
      const postgres = { backend: 0, background: 0, other: 0 };
      for (const e of pg.values()) postgres[e.kind] += e.last - e.base;
      return { processes: [...tree.values()], postgres };
    },
  };
}
