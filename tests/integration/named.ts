/**
 * Test support for real BIND: a `named` from Debian on a loopback port with a temporary
 * configuration, and `dnstap-read` counts of a capture.
 *
 * @module
 */
import { join } from "node:path";

/** Whether named and its tools are installed (CI installs bind9 and bind9-dnsutils). */
export function haveNamed(): boolean {
  for (const bin of ["/usr/sbin/named", "/usr/bin/dig", "/usr/bin/dnstap-read"]) {
    try {
      Deno.statSync(bin);
    } catch {
      return false;
    }
  }
  return true;
}

/** A free loopback TCP port (bound and released) in a range nothing else here uses. */
export function freePort(): number {
  for (let i = 0; i < 1000; i++) {
    const port = 20000 + Math.floor(Math.random() * 30000);
    try {
      Deno.listen({ hostname: "127.0.0.1", port }).close();
      return port;
    } catch (error) {
      if (!(error instanceof Deno.errors.AddrInUse)) throw error;
    }
  }
  throw new Error("no free loopback port found");
}

const ZONE = `$TTL 300
@ IN SOA ns.test.example. admin.test.example. 1 3600 600 86400 300
@ IN NS ns.test.example.
ns IN A 127.0.0.1
www IN A 192.0.2.1
mail IN A 192.0.2.2
@ IN MX 10 mail.test.example.
`;

/**
 * A named.conf for `dir`: authoritative test.example (NOERROR, NXDOMAIN), dead.example
 * forwarded to a port where nothing listens (SERVFAIL after 0.5 s), REFUSED for 127.0.0.14,
 * and dnstap of client queries and responses to `dnstapOutput` (`unix "…"` or `file "…"`);
 * with `statsPort`, named's JSON statistics channel on that loopback port.
 */
export async function writeNamedConf(
  dir: string,
  port: number,
  dnstapOutput: string,
  statsPort?: number,
): Promise<string> {
  await Deno.writeTextFile(join(dir, "db.test"), ZONE);
  const conf = `options {
  directory "${dir}";
  pid-file "${dir}/named.pid";
  listen-on port ${port} { 127.0.0.1; };
  listen-on-v6 { none; };
  recursion yes;
  allow-query { !127.0.0.14; 127.0.0.0/8; };
  allow-recursion { 127.0.0.0/8; };
  dnssec-validation no;
  resolver-query-timeout 500;
  dnstap { client query; client response; };
  dnstap-output ${dnstapOutput};
};
controls { };
${
    statsPort
      ? `statistics-channels { inet 127.0.0.1 port ${statsPort} allow { 127.0.0.1; }; };`
      : ""
  }
zone "test.example" { type primary; file "${dir}/db.test"; };
zone "dead.example" { type forward; forward only; forwarders { 127.0.0.99 port 9; }; };
`;
  const path = join(dir, "named.conf");
  await Deno.writeTextFile(path, conf);
  return path;
}

/** A running named. */
export interface Named {
  child: Deno.ChildProcess;
  /** SIGTERM and wait for the exit (named writes its dnstap STOP on the way). */
  stop(): Promise<void>;
}

/** Start `named -f -c conf` and wait until it answers on `port`. */
export async function startNamed(conf: string, port: number): Promise<Named> {
  const child = new Deno.Command("/usr/sbin/named", {
    args: ["-f", "-n", "1", "-c", conf],
    stdout: "null",
    stderr: "null",
  }).spawn();
  for (let i = 0; i < 100; i++) {
    const out = await new Deno.Command("/usr/bin/dig", {
      args: [
        "-p",
        String(port),
        "@127.0.0.1",
        "ns.test.example",
        "+short",
        "+tries=1",
        "+timeout=1",
      ],
      stdout: "piped",
      stderr: "null",
    }).output();
    if (new TextDecoder().decode(out.stdout).includes("127.0.0.1")) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    child,
    async stop() {
      try {
        child.kill("SIGTERM");
      } catch { /* gone */ }
      await child.status;
    },
  };
}

/** The known mix one {@linkcode sendMix} sends, by rcode. */
export interface Mix {
  NOERROR: number;
  NXDOMAIN: number;
  SERVFAIL: number;
  REFUSED: number;
}

/**
 * Send a known mix with dig batch files: `noerror` answers (A and MX), `nxdomain` names that do
 * not exist, `servfail` through the unreachable forwarder, and `refused` from 127.0.0.14.
 * `tag` keeps the names of two calls apart. Returns the mix.
 */
export async function sendMix(
  dir: string,
  port: number,
  tag: string,
  n: Mix,
): Promise<Mix> {
  const lines = (count: number, f: (i: number) => string) =>
    Array.from({ length: count }, (_, i) => f(i)).join("\n") + "\n";
  const run = async (name: string, body: string, extra: string[] = []) => {
    const file = join(dir, `${tag}-${name}.batch`);
    await Deno.writeTextFile(file, body);
    await new Deno.Command("/usr/bin/dig", {
      args: ["-p", String(port), "@127.0.0.1", "+tries=1", "+timeout=3", ...extra, "-f", file],
      stdout: "null",
      stderr: "null",
    }).output();
  };
  await Promise.all([
    run("noerror", lines(n.NOERROR, (i) => i % 2 ? "www.test.example A" : "test.example MX")),
    run("nxdomain", lines(n.NXDOMAIN, (i) => `nx${tag}${i}.test.example A`)),
    run("servfail", lines(n.SERVFAIL, (i) => `sf${tag}${i}.dead.example A`)),
    run("refused", lines(n.REFUSED, () => "www.test.example A"), ["-b", "127.0.0.14"]),
  ]);
  return n;
}

/** Counts of a dnstap file as `dnstap-read -y` decodes it. */
export interface DnstapReadCounts {
  queries: number;
  responses: number;
  /** Responses by rcode (status). */
  rcodes: Record<string, number>;
  /** Responses by question type. */
  qtypes: Record<string, number>;
}

/** Run `dnstap-read -y file` and count client queries and responses. */
export async function dnstapRead(file: string): Promise<DnstapReadCounts> {
  const out = await new Deno.Command("/usr/bin/dnstap-read", {
    args: ["-y", file],
    stdout: "piped",
    stderr: "piped",
  }).output();
  if (!out.success) throw new Error(new TextDecoder().decode(out.stderr));
  const counts: DnstapReadCounts = { queries: 0, responses: 0, rcodes: {}, qtypes: {} };
  for (const doc of new TextDecoder().decode(out.stdout).split(/^---$/m)) {
    if (/^ {2}type: CLIENT_QUERY$/m.test(doc)) counts.queries++;
    if (!/^ {2}type: CLIENT_RESPONSE$/m.test(doc)) continue;
    counts.responses++;
    const data = doc.slice(doc.indexOf("response_message_data:"));
    const status = /^ {4}status: (\S+)$/m.exec(data)?.[1] ?? "?";
    counts.rcodes[status] = (counts.rcodes[status] ?? 0) + 1;
    const q = /^ {6}- '(.*) (\S+) (\S+)'$/m.exec(data);
    if (q) counts.qtypes[q[3]] = (counts.qtypes[q[3]] ?? 0) + 1;
  }
  return counts;
}
