// Runs promtool over the alert rules, their unit tests and the compose Prometheus config.
// promtool is a system tool (Debian: `apt-get install prometheus`); when absent the test fails, never skips.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { arr, obj, parseYaml, repoPath, run, which } from "./support.ts";

const requiredAlerts = ["ServiceDown", "HighGrpcErrorRate", "OutboxBacklog", "DeadLetters", "ConsumerRedeliveries", "GatewayHigh5xx", "CampaignAutoPaused", "CallSlotsReclaimed"];

function promtool(): string {
  const bin = which("promtool");
  assert.ok(bin, "promtool is not installed: install it (Debian/Ubuntu: `apt-get install -y prometheus`) to check deploy/prometheus");
  return bin;
}

function promtoolOk(args: string[]) {
  const r = run(promtool(), args);
  assert.equal(r.status, 0, `promtool ${args.join(" ")} failed:\n${r.stdout}${r.stderr}`);
  return r.stdout + r.stderr;
}

test("promtool check rules", () => {
  const out = promtoolOk(["check", "rules", "deploy/prometheus/alerts.yml"]);
  assert.match(out, new RegExp(`SUCCESS: ${requiredAlerts.length} rules found`));
});

test("promtool test rules", () => {
  promtoolOk(["test", "rules", "deploy/prometheus/alerts.test.yml"]);
});

test("promtool check config (compose Prometheus)", () => {
  promtoolOk(["check", "config", "deploy/prometheus/prometheus.yml"]);
});

test("every required alert exists and each is exercised firing and not firing by the unit tests", () => {
  const rules = obj(parseYaml(readFileSync(repoPath("deploy/prometheus/alerts.yml"), "utf8")), "alerts.yml");
  const alerts = arr(rules.groups, "groups").flatMap((g) => arr(obj(g, "group").rules, "rules").map((r) => obj(r, "rule")));
  const byName = new Map(alerts.map((a) => [String(a.alert), a]));
  for (const name of requiredAlerts) assert.ok(byName.has(name), `missing alert ${name}`);
  assert.match(String(byName.get("ServiceDown")?.expr), /up\s*==\s*0/);
  assert.equal(byName.get("ServiceDown")?.for, "2m");
  assert.match(String(byName.get("OutboxBacklog")?.expr), /parley_bus_outbox_pending\s*>\s*1000/);
  assert.equal(byName.get("OutboxBacklog")?.for, "5m");
  assert.match(String(byName.get("DeadLetters")?.expr), /increase\(parley_bus_dead_letters_total\[10m\]\)\s*>\s*0/);
  assert.match(String(byName.get("ConsumerRedeliveries")?.expr), /rate\(parley_bus_redeliveries_total\[5m\]\)\s*>\s*1/);
  assert.match(String(byName.get("GatewayHigh5xx")?.expr), /parley_http_requests_total\{status=~"5\.\."\}/);

  const suite = obj(parseYaml(readFileSync(repoPath("deploy/prometheus/alerts.test.yml"), "utf8")), "alerts.test.yml");
  const cases = arr(suite.tests, "tests").flatMap((t) => arr(obj(t, "test").alert_rule_test, "alert_rule_test").map((c) => obj(c, "case")));
  for (const name of requiredAlerts) {
    const mine = cases.filter((c) => c.alertname === name);
    assert.ok(mine.some((c) => arr(c.exp_alerts ?? [], "exp_alerts").length > 0), `${name} is never tested firing`);
    assert.ok(mine.some((c) => arr(c.exp_alerts ?? [], "exp_alerts").length === 0), `${name} is never tested not firing`);
  }
});
