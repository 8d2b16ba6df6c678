/**
 * deploy/: BIND's own checkers on the dns1 and dns2 configurations and zones, systemd's on
 * the unit, bash and shellcheck on the scripts. A tool that is not installed skips its test
 * with a message (CI installs them all and fails on an ignored test).
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { missing } from "./programs.ts";

const DEPLOY = new URL("../deploy/", import.meta.url).pathname;

const have = (bin: string) => !missing(bin);

async function run(cmd: string, args: string[]): Promise<{ code: number; output: string }> {
  const out = await new Deno.Command(cmd, { args, stdout: "piped", stderr: "piped" }).output();
  const text = new TextDecoder().decode(out.stdout) + new TextDecoder().decode(out.stderr);
  return { code: out.code, output: text };
}

/**
 * A chroot-like tree with the server's files in /etc/bind and a top-level named.conf that
 * includes options and local as Debian's does; named-checkconf -t resolves /etc/bind/… in it.
 */
async function bindTree(server: string, edit?: (options: string) => string): Promise<string> {
  const root = await Deno.makeTempDir({ prefix: `dnsa-bind-${server}-` });
  await Deno.mkdir(join(root, "etc/bind"), { recursive: true });
  await Deno.mkdir(join(root, "var/cache/bind"), { recursive: true });
  for await (const e of Deno.readDir(join(DEPLOY, "bind", server))) {
    let text = await Deno.readTextFile(join(DEPLOY, "bind", server, e.name));
    if (edit && e.name === "named.conf.options") text = edit(text);
    await Deno.writeTextFile(join(root, "etc/bind", e.name), text);
  }
  await Deno.writeTextFile(
    join(root, "etc/bind/named.conf"),
    'include "/etc/bind/named.conf.options";\ninclude "/etc/bind/named.conf.local";\n',
  );
  return root;
}

const CHECKCONF = "/usr/bin/named-checkconf";
const CHECKZONE = "/usr/bin/named-checkzone";

for (const server of ["dns1", "dns2"]) {
  Deno.test({
    name: `deploy/bind/${server}: named-checkconf -z accepts it, with and without dnstap`,
    ignore: !have(CHECKCONF),
    async fn() {
      for (
        const edit of [
          undefined,
          (t: string) => t.replace(/\/\/ (dnstap(-output|-identity)? )/g, "$1"),
        ]
      ) {
        const root = await bindTree(server, edit);
        try {
          const r = await run(CHECKCONF, ["-z", "-t", root, "/etc/bind/named.conf"]);
          assert.equal(r.code, 0, r.output);
          if (edit) {
            const options = await Deno.readTextFile(join(root, "etc/bind/named.conf.options"));
            assert.match(options, /^ {4}dnstap-output unix "\/run\/dns-analytics\/dnstap.sock";/m);
          }
        } finally {
          await Deno.remove(root, { recursive: true });
        }
      }
    },
  });
}

Deno.test({
  name: "deploy/bind/dns1 zones: named-checkzone accepts each",
  ignore: !have(CHECKZONE),
  async fn() {
    const zones = {
      "codeandcore.home": "db.codeandcore.home",
      "238.168.192.in-addr.arpa": "db.238.168.192",
      "10.10.10.in-addr.arpa": "db.10.10.10",
    };
    for (const [zone, file] of Object.entries(zones)) {
      const r = await run(CHECKZONE, [zone, join(DEPLOY, "bind/dns1", file)]);
      assert.equal(r.code, 0, r.output);
      assert.match(r.output, /loaded serial \d+\nOK/);
    }
  },
});

Deno.test("deploy/bind: the seed's names and addresses, no placeholders", async () => {
  const all = [];
  for (const server of ["dns1", "dns2"]) {
    for await (const e of Deno.readDir(join(DEPLOY, "bind", server))) {
      all.push(await Deno.readTextFile(join(DEPLOY, "bind", server, e.name)));
    }
  }
  const text = all.join("\n");
  for (const want of ["192.168.238.128", "10.10.10.250", "codeandcore.home", "print-time yes"]) {
    assert.ok(text.includes(want), want);
  }
  assert.doesNotMatch(text, /change-me|CHANGEME|x\.x\.x|<[A-Z_]+>/);
  assert.doesNotMatch(text, /versions \d+;/, "versions without size");
});

Deno.test({
  name: "deploy/dns-analytics.service: systemd-analyze verify accepts it",
  ignore: !have("/usr/bin/systemd-analyze"),
  async fn() {
    const dir = await Deno.makeTempDir({ prefix: "dnsa-unit-" });
    try {
      const unit = await Deno.readTextFile(join(DEPLOY, "dns-analytics.service"));
      // verify wants ExecStart's program to exist; the binary is not installed here.
      const copy = join(dir, "dns-analytics.service");
      await Deno.writeTextFile(copy, unit.replace("/usr/local/bin/dns-analytics", "/bin/true"));
      const r = await run("/usr/bin/systemd-analyze", ["verify", copy]);
      assert.equal(r.code, 0, r.output);
      assert.equal(r.output.trim(), "");
      for (
        const line of [
          "User=dns-analytics",
          "ExecStart=/usr/local/bin/dns-analytics serve",
          "EnvironmentFile=/etc/dns-analytics/dns-analytics.env",
          "EnvironmentFile=-/etc/dns-ingestor/db.env",
          "Restart=always",
          "StateDirectory=dns-analytics",
          "RuntimeDirectory=dns-analytics",
          "ReadOnlyPaths=/var/log/named",
          "ProtectSystem=strict",
          "NoNewPrivileges=yes",
          "CapabilityBoundingSet=",
          "MemoryDenyWriteExecute=no",
          "UMask=0077",
        ]
      ) {
        assert.match(unit, new RegExp(`^${line.replace(/[.*+?^${}()|[\]\\-]/g, "\\$&")}$`, "m"));
      }
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});

for (const script of ["install.sh", "uninstall.sh"]) {
  Deno.test(
    `deploy/${script}: bash -n, set -euo pipefail`,
    { ignore: missing("bash") },
    async () => {
      const path = join(DEPLOY, script);
      const text = await Deno.readTextFile(path);
      assert.match(text, /^#!\/usr\/bin\/env bash\n/);
      assert.match(text, /^set -euo pipefail$/m);
      assert.ok((await Deno.stat(path)).mode! & 0o100, `${script} is executable`);
      const syntax = await run("bash", ["-n", path]);
      assert.equal(syntax.code, 0, syntax.output);
    },
  );

  Deno.test(
    `deploy/${script}: shellcheck accepts it`,
    { ignore: missing("shellcheck") },
    async () => {
      const lint = await run("shellcheck", [join(DEPLOY, script)]);
      assert.equal(lint.code, 0, lint.output);
    },
  );
}
