/**
 * doctor's finding on client names: which sources are configured, what each file holds, and
 * how many clients have a name in the database.
 *
 * @module
 */
import type { Config } from "../config.ts";
import type { Sql } from "../db/connect.ts";
import type { Finding } from "./finding.ts";
import { errorText } from "../error_text.ts";
import { parseHostsFile, parseLeaseFile } from "../names/parse_names.ts";
import { countNamedClients } from "../names/store_names.ts";

const CHECK = "client names";

/** The findings; `sql` null when the database is not opened (embedded, or unreachable). */
export async function checkClientNames(
  config: Pick<Config, "clientNames">,
  sql: Sql | null,
): Promise<Finding[]> {
  const c = config.clientNames;
  const findings: Finding[] = [];
  if (c.hostsFile === null && c.leaseFiles.length === 0 && !c.ptrLookup) {
    findings.push({
      level: "ok",
      check: CHECK,
      message: "no source configured, clients are shown by address (DNSA_CLIENT_NAMES: a " +
        "hosts-format file; DNSA_DHCP_LEASES: dhcpd, dnsmasq or Kea lease files; " +
        "DNSA_PTR_LOOKUP=on: PTR lookups against DNSA_PTR_RESOLVER)",
    });
  }
  const files = [
    ...(c.hostsFile ? [{ key: "DNSA_CLIENT_NAMES", path: c.hostsFile, hosts: true }] : []),
    ...c.leaseFiles.map((path) => ({ key: "DNSA_DHCP_LEASES", path, hosts: false })),
  ];
  for (const f of files) {
    try {
      const text = await Deno.readTextFile(f.path);
      const parsed = f.hosts
        ? { format: "hosts", names: parseHostsFile(text) }
        : parseLeaseFile(text);
      findings.push({
        level: parsed.format === null ? "warn" : "ok",
        check: CHECK,
        message: parsed.format === null
          ? `${f.key} ${f.path}: not a lease file of ISC dhcpd, dnsmasq or Kea (CSV memfile)`
          : `${f.key} ${f.path}: ${parsed.format}, ${parsed.names.size} named addresses`,
      });
    } catch (error) {
      findings.push({
        level: "warn",
        check: CHECK,
        message: `${f.key} ${f.path}: cannot be read (${errorText(error)}); serve retries it ` +
          "every 10 s: fix the path or give the service user read access",
      });
    }
  }
  if (c.ptrLookup) {
    findings.push({
      level: "ok",
      check: CHECK,
      message: `DNSA_PTR_LOOKUP=on: serve asks ${c.ptrResolver.ipAddr} port ` +
        `${c.ptrResolver.port} (DNSA_PTR_RESOLVER) the PTR names of new clients`,
    });
  }
  if (sql) {
    try {
      const n = await countNamedClients(sql);
      const parts = ["hosts", "dhcp", "ptr"].filter((s) => n[s]).map((s) => `${s} ${n[s]}`);
      findings.push({
        level: "ok",
        check: CHECK,
        message: `${n.all ?? 0} clients have a name in the database` +
          (parts.length > 0 ? ` (${parts.join(", ")})` : ""),
      });
    } catch (error) {
      // 42P01: the table is not there yet (the schema is older than this program).
      if ((error as { code?: string }).code !== "42P01") throw error;
    }
  }
  return findings;
}
