import assert from "node:assert/strict";
import { displayBusUrl } from "../../lib/bus/nats.ts";

Deno.test("bus URL: user names and passwords are never shown", () => {
  assert.equal(displayBusUrl("nats://bus1:4222"), "nats://bus1:4222");
  assert.equal(displayBusUrl("nats://dnsa:s3cret@bus1:4222"), "nats://bus1:4222");
  assert.equal(
    displayBusUrl("tls://a:pw@bus1:4222,tls://token@bus2:4222"),
    "tls://bus1:4222,tls://bus2:4222",
  );
});
