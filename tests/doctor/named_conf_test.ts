import assert from "node:assert/strict";
import type { Finding } from "../../lib/doctor/finding.ts";
import { checkNamedConf } from "../../lib/doctor/named_conf.ts";
import { readLogging } from "../../lib/doctor/named_logging.ts";
import {
  argsOf,
  blockOf,
  findAll,
  type LoadedNamedConf,
  loadNamedConf,
  parseNamedConf,
} from "../../lib/named_conf.ts";

const DEPLOY = new URL("../../deploy/bind/", import.meta.url).pathname;

/** The seed guide's dns1 configuration, verbatim (Section 1). */
const SEED_OPTIONS = `// DNS Analytics Server 1 — dns1.codeandcore.home
acl "trusted" {
    127.0.0.1;
    192.168.238.0/24;   // Primary home LAN
    10.10.10.0/24;      // Secondary home LAN (cross-query allowed)
    10.0.0.0/8;
    172.16.0.0/12;
};

options {
    directory "/var/cache/bind";
    listen-on { 127.0.0.1; 192.168.238.128; };
    listen-on-v6 { any; };
    allow-query     { trusted; };
    allow-recursion { trusted; };
    forwarders { 8.8.8.8; 8.8.4.4; 1.1.1.1; 9.9.9.9; };
    forward only;
    dnssec-validation auto;
    allow-transfer { none; };
    notify no;
    recursion yes;
    max-cache-size 256m;
    min-cache-ttl 60;
    max-cache-ttl 86400;
    rate-limit { responses-per-second 50; window 5; };
    pid-file "/run/named/named.pid";
};
`;

const SEED_LOCAL = `// Authoritative zone for codeandcore.home
zone "codeandcore.home" {
    type master;
    file "/etc/bind/db.codeandcore.home";
    allow-update { none; };
    allow-transfer { 10.10.10.250; };
};

logging {
    channel queries_log {
        file "/var/log/named/queries.log"
            versions 7 size 500m;
        severity dynamic;
        print-time yes;
        print-severity no;
        print-category no;
    };
    channel named_log {
        file "/var/log/named/named.log"
            versions 4 size 50m;
        severity info;
        print-time yes; print-severity yes; print-category yes;
    };
    channel errors_log {
        file "/var/log/named/query-errors.log"
            versions 4 size 100m;
        severity dynamic;
        print-time yes;
        print-severity no;
        print-category no;
    };
    category queries       { queries_log; };
    category query-errors  { errors_log; };   // Separate channel — fixes BUG-01
    category default       { named_log; };
    category lame-servers  { null; };
    category rate-limit    { null; };
};
`;

const DEBIAN_TOP = `// This is the primary configuration file for the BIND DNS server named.
include "/etc/bind/named.conf.options";
include "/etc/bind/named.conf.local";
`;

/** Load a configuration from in-memory files (absolute paths → text). */
function loadFrom(files: Record<string, string>, top = "/etc/bind/named.conf") {
  return loadNamedConf(top, {
    readFile: (p) => {
      if (p in files) return Promise.resolve(files[p]);
      return Promise.reject(new Deno.errors.NotFound(`no such file ${p}`));
    },
  });
}

function seed(overrides: { options?: string; local?: string } = {}): Promise<LoadedNamedConf> {
  return loadFrom({
    "/etc/bind/named.conf": DEBIAN_TOP,
    "/etc/bind/named.conf.options": overrides.options ?? SEED_OPTIONS,
    "/etc/bind/named.conf.local": overrides.local ?? SEED_LOCAL,
  });
}

function levels(findings: Finding[]): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const f of findings) (out[f.check] ??= []).push(f.level);
  return out;
}

const only = (findings: Finding[], check: string) => findings.filter((f) => f.check === check);
const QUERYLOG = {
  source: "querylog" as const,
  queryLog: "/var/log/named/queries.log",
  errorLog: "/var/log/named/query-errors.log",
};

Deno.test("tokenizer: comments of three kinds, quoted strings with braces and escapes", () => {
  const text = `# hash
options { // line
  directory "/var/cache/{bind}"; /* block
  spanning } lines */ pid-file "a\\"b";
};`;
  const [options] = parseNamedConf(text);
  const body = blockOf(options);
  assert.deepEqual(argsOf(body[0]), ["/var/cache/{bind}"]);
  assert.deepEqual(argsOf(body[1]), ['a"b']);
  assert.equal(options.line, 2);
  assert.equal(body[1].line, 4);
});

Deno.test("parser: values after a block, tolerated missing ';' and unbalanced braces", () => {
  const problems: { message: string }[] = [];
  const list = parseNamedConf(
    `statistics-channels { inet 127.0.0.1 port 8080 allow { 127.0.0.1; }; };
     zone "x" { type primary; file "x" };
     options { recursion yes;`,
    { problems: problems as never },
  );
  assert.equal(list.length, 3);
  const inet = blockOf(list[0])[0];
  assert.deepEqual(argsOf(inet), ["127.0.0.1", "port", "8080", "allow"]);
  assert.equal(findAll(blockOf(list[1]), "file").length, 1);
  assert.deepEqual(problems.map((p) => p.message), ["missing '}'"]);
});

Deno.test("includes: relative to the including file, nested, loops and missing files", async () => {
  const conf = await loadFrom({
    "/etc/bind/named.conf": 'include "sub/a.conf"; include "/etc/bind/missing.conf";',
    "/etc/bind/sub/a.conf": 'options { include "b.conf"; }; include "a.conf";',
    "/etc/bind/sub/b.conf": "recursion no;",
  });
  assert.deepEqual(conf.files, [
    "/etc/bind/named.conf",
    "/etc/bind/sub/a.conf",
    "/etc/bind/sub/b.conf",
  ]);
  const options = findAll(conf.statements, "options")[0];
  assert.deepEqual(argsOf(findAll(blockOf(options), "recursion")[0]), ["no"]);
  assert.equal(conf.problems.length, 2);
  assert.match(conf.problems[0].message, /include loop/);
  assert.match(conf.problems[1].message, /cannot read \/etc\/bind\/missing.conf/);
});

Deno.test("the seed's configuration: no FAIL; rate-limit without exempt-clients warns", async () => {
  const findings = checkNamedConf(await seed(), QUERYLOG);
  assert.deepEqual(levels(findings), {
    "named.conf queries": ["ok"],
    "named.conf query-errors": ["ok"],
    "named.conf rotation": ["ok"],
    "named.conf rate-limit": ["warn"],
    "named.conf dnstap": ["warn"],
  });
  assert.match(only(findings, "named.conf rate-limit")[0].message, /exempt-clients \{ 192\.168/);
  assert.match(only(findings, "named.conf dnstap")[0].message, /NXDOMAIN/);
});

for (const server of ["dns1", "dns2"]) {
  Deno.test(`deploy/bind/${server}: no FAIL, rate-limit exempts the LANs`, async () => {
    const read = (name: string) => Deno.readTextFile(`${DEPLOY}${server}/${name}`);
    const conf = await loadFrom({
      "/etc/bind/named.conf": DEBIAN_TOP,
      "/etc/bind/named.conf.options": await read("named.conf.options"),
      "/etc/bind/named.conf.local": await read("named.conf.local"),
    });
    assert.deepEqual(conf.problems, []);
    const findings = checkNamedConf(conf, QUERYLOG);
    assert.deepEqual(levels(findings), {
      "named.conf queries": ["ok"],
      "named.conf query-errors": ["ok"],
      "named.conf rotation": ["ok"],
      "named.conf rate-limit": ["ok"],
      "named.conf dnstap": ["warn"],
    });
    const logging = readLogging(conf.statements);
    assert.deepEqual(logging.channels.get("queries_log"), {
      name: "queries_log",
      file: "/var/log/named/queries.log",
      versions: "7",
      size: "100m",
      printTime: "yes",
      severity: "dynamic",
      where: "/etc/bind/named.conf.local:" +
        logging.channels.get("queries_log")!.where.split(":")[1],
    });
  });
}

Deno.test("deploy/bind/dns1 with its dnstap lines uncommented: dnstap source is ok", async () => {
  const options = (await Deno.readTextFile(`${DEPLOY}dns1/named.conf.options`))
    .replace(/\/\/ (dnstap(-output|-identity)? )/g, "$1");
  const conf = await seed({
    options,
    local: await Deno.readTextFile(`${DEPLOY}dns1/named.conf.local`),
  });
  const dnstap = { source: "dnstap" as const, dnstap: "/run/dns-analytics/dnstap.sock" };
  assert.deepEqual(levels(checkNamedConf(conf, dnstap))["named.conf dnstap"], ["ok"]);
  const other = checkNamedConf(conf, { ...dnstap, dnstap: "/tmp/other.sock" });
  assert.match(only(other, "named.conf dnstap")[0].message, /DNSA_DNSTAP is \/tmp\/other.sock/);
  const querylog = only(checkNamedConf(conf, QUERYLOG), "named.conf dnstap")[0];
  assert.equal(querylog.level, "warn");
  assert.match(querylog.message, /set DNSA_SOURCE=dnstap/);
});

const MISTAKES: Array<{
  name: string;
  edit: (local: string) => string;
  check: string;
  level: "FAIL" | "warn";
  says: RegExp;
}> = [
  {
    name: "no query-errors channel",
    edit: (l) => l.replace(/category query-errors.*\n/, ""),
    check: "named.conf query-errors",
    level: "FAIL",
    says: /no 'category query-errors'.*SERVFAIL and REFUSED/,
  },
  {
    name: "query-errors in the query log's channel",
    edit: (l) =>
      l.replace("category query-errors  { errors_log; }", "category query-errors { queries_log; }"),
    check: "named.conf query-errors",
    level: "warn",
    says: /shares \/var\/log\/named\/queries.log/,
  },
  {
    name: "versions without size on the query log",
    edit: (l) => l.replace("versions 7 size 500m", "versions 7"),
    check: "named.conf rotation",
    level: "FAIL",
    says: /channel queries_log .* 'versions' without 'size'/,
  },
  {
    name: "versions without size on another channel",
    edit: (l) => l.replace("versions 4 size 50m", "versions 4"),
    check: "named.conf rotation",
    level: "warn",
    says: /channel named_log/,
  },
  {
    name: "print-time missing",
    edit: (l) => l.replace(/(channel queries_log \{[^}]*?)print-time yes;/, "$1"),
    check: "named.conf queries",
    level: "FAIL",
    says: /add 'print-time yes;' to channel queries_log/,
  },
  {
    name: "no queries category",
    edit: (l) => l.replace(/category queries .*\n/, ""),
    check: "named.conf queries",
    level: "FAIL",
    says: /no 'category queries'/,
  },
  {
    name: "queries to syslog only",
    edit: (l) => l.replace("{ queries_log; }", "{ default_syslog; }"),
    check: "named.conf queries",
    level: "FAIL",
    says: /default_syslog, not to a file channel/,
  },
  {
    name: "size without versions",
    edit: (l) => l.replace("versions 7 size 500m", "size 500m"),
    check: "named.conf queries",
    level: "FAIL",
    says: /stops writing/,
  },
  {
    name: "severity warning on the query log",
    edit: (l) =>
      l.replace(/(channel queries_log \{[^}]*?)severity dynamic;/, "$1severity warning;"),
    check: "named.conf queries",
    level: "FAIL",
    says: /drops query lines/,
  },
];

for (const m of MISTAKES) {
  Deno.test(`planted mistake: ${m.name} → ${m.level}`, async () => {
    const local = m.edit(SEED_LOCAL);
    assert.notEqual(local, SEED_LOCAL, "the edit must change the configuration");
    const findings = only(checkNamedConf(await seed({ local }), QUERYLOG), m.check);
    const hit = findings.find((f) => f.level === m.level && m.says.test(f.message));
    assert.ok(hit, JSON.stringify(findings, null, 1));
  });
}

Deno.test("rate-limit: exempt-clients, recursion no, and views", async () => {
  const rrl = (extra: string) => SEED_OPTIONS.replace("window 5; }", `window 5; ${extra} }`);
  const exempt = checkNamedConf(
    await seed({ options: rrl("exempt-clients { 192.168.238.0/24; };") }),
    QUERYLOG,
  );
  assert.equal(only(exempt, "named.conf rate-limit")[0].level, "ok");
  const authoritative = checkNamedConf(
    await seed({ options: SEED_OPTIONS.replace("recursion yes;", "recursion no;") }),
    QUERYLOG,
  );
  assert.equal(only(authoritative, "named.conf rate-limit")[0].level, "ok");
  const views = checkNamedConf(
    await seed({
      options: SEED_OPTIONS.replace(/ +rate-limit.*\n/, "").replace("recursion yes;", ""),
      local: SEED_LOCAL.replace(
        /zone "codeandcore.home"/,
        'view "lan" { match-clients { any; }; rate-limit { responses-per-second 5; }; };\n' +
          'view "auth" { recursion no; rate-limit { responses-per-second 5; }; };\nzone "x"',
      ),
    }),
    QUERYLOG,
  );
  const warned = only(views, "named.conf rate-limit");
  assert.equal(warned.length, 1);
  assert.match(warned[0].message, /view lan/);
});

Deno.test("querylog no, relative channel files and mismatched DNSA_ paths", async () => {
  const off = checkNamedConf(
    await seed({ options: SEED_OPTIONS.replace("recursion yes;", "recursion yes; querylog no;") }),
    QUERYLOG,
  );
  assert.match(only(off, "named.conf queries")[0].message, /'querylog no;'/);
  const relative = await seed({
    local: SEED_LOCAL.replace('"/var/log/named/queries.log"', '"queries.log"'),
  });
  assert.equal(
    readLogging(relative.statements).channels.get("queries_log")?.file,
    "/var/cache/bind/queries.log",
  );
  const mismatch = only(checkNamedConf(relative, QUERYLOG), "named.conf queries");
  assert.equal(mismatch[0].level, "FAIL");
  assert.match(mismatch[0].message, /set DNSA_QUERY_LOG/);
});

Deno.test("dnstap source without dnstap in named.conf fails", async () => {
  const findings = checkNamedConf(await seed(), { source: "dnstap", dnstap: "/run/x.sock" });
  assert.equal(only(findings, "named.conf dnstap")[0].level, "FAIL");
  assert.equal(only(findings, "named.conf queries")[0].level, "ok");
});
