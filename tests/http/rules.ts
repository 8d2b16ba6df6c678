/**
 * Test support: read deploy/prometheus/dns-analytics.rules.yml, check its structure and list
 * the metric names it uses. `promtool check rules` and the rule unit tests (`promtool test
 * rules`) run in rules_test.ts.
 *
 * @module
 */
import assert from "node:assert/strict";
import YAML from "yaml";

/** The rules file. */
export const RULES = new URL("../../deploy/prometheus/dns-analytics.rules.yml", import.meta.url)
  .pathname;
/** The rules' unit tests, for `promtool test rules`. */
export const RULE_TESTS =
  new URL("../../deploy/prometheus/dns-analytics.rules.test.yml", import.meta.url)
    .pathname;

interface Rule {
  alert?: string;
  record?: string;
  expr: string;
  for?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
}

/** The `dnsa_*` metric names the rules use, and the alert names; asserts the structure. */
export async function checkRulesFile(): Promise<{ metrics: Set<string>; alerts: string[] }> {
  const doc = YAML.parse(await Deno.readTextFile(RULES)) as {
    groups: { name: string; rules: Rule[] }[];
  };
  assert.ok(Array.isArray(doc.groups) && doc.groups.length > 0, "groups");
  const metrics = new Set<string>();
  const alerts: string[] = [];
  const records = new Set<string>();
  for (const g of doc.groups) {
    assert.equal(typeof g.name, "string");
    for (const r of g.rules) {
      assert.equal(typeof r.expr, "string", JSON.stringify(r));
      assert.ok((r.alert === undefined) !== (r.record === undefined), "alert or record");
      if (r.record) records.add(r.record);
      if (r.alert) {
        alerts.push(r.alert);
        assert.match(r.labels?.severity ?? "", /^(warning|critical)$/, r.alert);
        assert.ok(r.annotations?.summary, `${r.alert}: summary`);
      }
      if (r.for !== undefined) assert.match(r.for, /^\d+[smh]$/);
      for (const m of r.expr.matchAll(/\b(dnsa_[a-z0-9_]+)\b/g)) metrics.add(m[1]);
      for (const m of r.expr.matchAll(/\b(dnsa:[a-z0-9_:]+)/g)) {
        assert.ok(records.has(m[1]), `${m[1]} is recorded before its use`);
      }
    }
  }
  return { metrics, alerts };
}
