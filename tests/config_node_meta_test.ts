import assert from "node:assert/strict";
import { ConfigError, loadConfig } from "../lib/config.ts";

Deno.test("DNSA_NODE_IP, DNSA_NODE_LOCATION, DNSA_NODE_NETWORK: the seed's dns_nodes columns", () => {
  const c = loadConfig({
    env: {
      DNSA_NODE: "home-dns1",
      DNSA_NODE_IP: "192.168.238.128",
      DNSA_NODE_LOCATION: "Home Lab LAN1",
      DNSA_NODE_NETWORK: "192.168.238.0/24",
    },
  });
  assert.deepEqual(c.nodeMeta, {
    ip: "192.168.238.128",
    location: "Home Lab LAN1",
    network: "192.168.238.0/24",
  });
  assert.deepEqual(loadConfig({ env: {} }).nodeMeta, { ip: null, location: null, network: null });
  assert.throws(
    () => loadConfig({ env: { DNSA_NODE_IP: "192.168.238" } }),
    (e) => e instanceof ConfigError && /DNSA_NODE_IP/.test(e.message),
  );
  assert.throws(
    () => loadConfig({ env: { DNSA_NODE_NETWORK: "192.168.238.128" } }),
    (e) =>
      e instanceof ConfigError && /DNSA_NODE_NETWORK: must be a network in CIDR/.test(e.message),
  );
});
