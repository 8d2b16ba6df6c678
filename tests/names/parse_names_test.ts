import assert from "node:assert/strict";
import { detectLeaseFormat, parseHostsFile, parseLeaseFile } from "../../lib/names/parse_names.ts";
import { reverseName } from "../../lib/names/ptr_lookup.ts";

Deno.test("hosts file: first name of a line, first line of an address, comments", () => {
  const names = parseHostsFile(
    "# LAN\n10.10.10.31\tprinter printer.lan  # office\n10.10.10.31 other\n" +
      "fe80::1 router6\n\n   \nnot-an-ip name\n10.10.10.32\n192.168.238.40 <b>x</b>\n",
  );
  assert.deepEqual(
    [...names],
    [["10.10.10.31", "printer"], ["fe80::1", "router6"], ["192.168.238.40", "<b>x</b>"]],
  );
});

// dhcpd.leases as ISC dhcpd 4.4 writes it: appended blocks, the last one of an address wins.
const ISC = `# The format of this file is documented in the dhcpd.leases(5) manual page.
# This lease file was written by isc-dhcp-4.4.3-P1

# authoring-byte-order entry is generated, DO NOT DELETE
authoring-byte-order little-endian;

server-duid "\\000\\001\\000\\001,\\234\\343\\202RT\\000\\022\\064V";

lease 10.0.0.5 {
  starts 3 2026/11/25 10:00:00;
  ends 3 2026/11/25 22:00:00;
  cltt 3 2026/11/25 10:00:00;
  binding state active;
  next binding state free;
  rewind binding state free;
  hardware ethernet 52:54:00:12:34:56;
  uid "\\001RT\\000\\0224V";
  client-hostname "old-name";
}
lease 10.0.0.5 {
  starts 3 2026/11/25 11:00:00;
  ends 3 2026/11/25 23:00:00;
  cltt 3 2026/11/25 11:00:00;
  binding state active;
  next binding state free;
  hardware ethernet 52:54:00:12:34:56;
  client-hostname "tv";
}
lease 10.0.0.8 {
  starts 3 2026/11/25 09:00:00;
  ends 3 2026/11/25 09:30:00;
  binding state free;
  hardware ethernet 52:54:00:aa:bb:cc;
  client-hostname "gone";
}
lease 10.0.0.9 {
  starts 3 2026/11/25 09:00:00;
  binding state active;
  hardware ethernet 52:54:00:aa:bb:cd;
}
`;

// dnsmasq.leases: expiry, MAC (or IAID), address, name (* = none), client id; DHCPv6 after "duid".
const DNSMASQ = `1764108000 52:54:00:12:34:57 10.0.0.6 phone 01:52:54:00:12:34:57
1764108000 52:54:00:12:34:58 10.0.0.10 * *
duid 00:01:00:01:2c:9c:e3:82:52:54:00:12:34:56
1764108000 1234567 fd00::6 laptop6 00:01:00:01:2c:9c:e3:82:52:54:00:12:34:59
`;

// Kea memfile (kea-leases4.csv), with Kea's &#x2c for a comma and a deleted lease (lifetime 0).
const KEA4 =
  `address,hwaddr,client_id,valid_lifetime,expire,subnet_id,fqdn_fwd,fqdn_rev,hostname,state,user_context,pool_id
10.0.0.7,52:54:00:12:34:60,01:52:54:00:12:34:60,4000,1764108000,1,0,0,kea-host.lan.,0,,0
10.0.0.11,52:54:00:12:34:61,,4000,1764108000,1,0,0,declined,1,,0
10.0.0.12,52:54:00:12:34:62,,4000,1764108000,1,0,0,a&#x2cb,0,,0
10.0.0.13,52:54:00:12:34:63,,4000,1764108000,1,0,0,deleted,0,,0
10.0.0.13,52:54:00:12:34:63,,0,1764108000,1,0,0,deleted,0,,0
`;

const KEA6 =
  `address,duid,valid_lifetime,expire,subnet_id,pref_lifetime,lease_type,iaid,prefix_len,fqdn_fwd,fqdn_rev,hostname,hwaddr,state,user_context,hwtype,hwaddr_source,pool_id
2001:DB8::7,00:01:00:01:2c:9c:e3:82:52:54:00:12:34:56,4000,1764108000,1,3000,0,1,128,0,0,v6host,,0,,1,0,0
`;

Deno.test("lease files: ISC dhcpd, dnsmasq, Kea v4 and v6", () => {
  assert.equal(detectLeaseFormat(ISC), "isc");
  assert.equal(detectLeaseFormat(DNSMASQ), "dnsmasq");
  assert.equal(detectLeaseFormat(KEA4), "kea");
  assert.equal(detectLeaseFormat(KEA6), "kea");
  assert.equal(detectLeaseFormat("hello world\n"), null);
  assert.deepEqual([...parseLeaseFile(ISC).names], [["10.0.0.5", "tv"]]);
  assert.deepEqual([...parseLeaseFile(DNSMASQ).names], [["10.0.0.6", "phone"], [
    "fd00::6",
    "laptop6",
  ]]);
  assert.deepEqual([...parseLeaseFile(KEA4).names], [["10.0.0.7", "kea-host.lan"], [
    "10.0.0.12",
    "a,b",
  ]]);
  assert.deepEqual([...parseLeaseFile(KEA6).names], [["2001:db8::7", "v6host"]]);
  assert.deepEqual(parseLeaseFile("garbage"), { format: null, names: new Map() });
});

Deno.test("PTR names of IPv4 and IPv6 addresses", () => {
  assert.equal(reverseName("192.168.238.40"), "40.238.168.192.in-addr.arpa");
  assert.equal(
    reverseName("2001:db8::1"),
    "1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.ip6.arpa",
  );
  assert.equal(reverseName("::1").split(".").length, 34);
});
