/**
 * deploy/prometheus: promtool accepts the rules, and the alerts fire on the series their unit
 * tests give them, and only then. Ignored with a message where promtool is not installed.
 */
import assert from "node:assert/strict";
import { missing } from "../programs.ts";
import { RULE_TESTS, RULES } from "./rules.ts";

Deno.test("deploy/prometheus rules: promtool check rules and promtool test rules pass", {
  ignore: missing("promtool"),
}, async () => {
  const text = new TextDecoder();
  const promtool = await new Deno.Command("promtool", { args: ["check", "rules", RULES] })
    .output();
  assert.ok(promtool.success, text.decode(promtool.stderr));
  const unit = await new Deno.Command("promtool", { args: ["test", "rules", RULE_TESTS] })
    .output();
  assert.ok(unit.success, text.decode(unit.stdout) + text.decode(unit.stderr));
});
