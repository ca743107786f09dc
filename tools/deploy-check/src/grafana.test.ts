// Checks the Grafana dashboard and its provisioning: valid JSON, every panel queries a datasource, and
// every metric it reads is one the code exports (so a renamed metric breaks this test, not the dashboard).
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { arr, isObj, obj, type Obj, parseYaml, repoPath } from "./support.ts";

// Metrics exported by packages/{bus,grpc,metrics}, services/gateway/src/http/metrics.ts and voice's dialer, plus Prometheus' `up`.
// The gRPC server exports a histogram (parley_grpc_server_handling_seconds{method,code}); its _count
// series carries the per-code call count.
export const exportedMetrics = new Set([
  "up",
  "parley_http_requests_total",
  "parley_http_request_duration_seconds_bucket",
  "parley_http_request_duration_seconds_count",
  "parley_http_request_duration_seconds_sum",
  "parley_grpc_server_handling_seconds_bucket",
  "parley_grpc_server_handling_seconds_count",
  "parley_grpc_server_handling_seconds_sum",
  "parley_bus_outbox_pending",
  "parley_bus_dead_letters_total",
  "parley_bus_redeliveries_total",
  "parley_bus_events_consumed_total",
  "parley_bus_events_published_total",
  "parley_bus_publish_errors_total",
  "parley_bus_handle_seconds_bucket",
  "parley_voice_live_calls",
  "parley_voice_call_cap",
  "parley_voice_dial_queue_depth",
  "parley_voice_dials_total",
  "parley_voice_slot_refill_seconds_bucket",
  "parley_voice_slot_wait_seconds_bucket",
  "parley_voice_campaigns_auto_paused_total",
  "parley_voice_leases_expired_total",
]);

// Words in PromQL that look like metric names but are not.
const promqlWords = new Set([
  "sum", "avg", "min", "max", "count", "by", "without", "on", "ignoring", "group_left", "group_right", "and", "or", "unless",
  "rate", "irate", "increase", "delta", "histogram_quantile", "topk", "bottomk", "abs", "clamp_min", "clamp_max", "label_values",
  "offset", "bool", "vector", "scalar", "time", "absent", "le", "avg_over_time", "max_over_time", "sum_over_time", "quantile",
]);

/** Metric names in a PromQL expression: identifiers not followed by `(`, outside label matchers, strings and ranges. */
export function metricNames(expr: string): string[] {
  const stripped = expr
    // Grafana's label_values(metric, label): only the first argument is a metric.
    .replace(/label_values\(\s*([^,)]+?)\s*(?:,[^)]*)?\)/g, "$1")
    .replace(/"(?:[^"\\]|\\.)*"/g, '""')
    .replace(/\{[^}]*\}/g, "{}")
    .replace(/\[[^\]]*\]/g, "[]")
    .replace(/\b(?:by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g, "");
  const names: string[] = [];
  for (const m of stripped.matchAll(/(?<![\w$.])([a-zA-Z_:][a-zA-Z0-9_:]*)(?![\w:])(?!\s*\()/g)) {
    const name = m[1] ?? "";
    if (!promqlWords.has(name) && !/^\d/.test(name)) names.push(name);
  }
  return names;
}

const dashboard = obj(JSON.parse(readFileSync(repoPath("deploy/grafana/parley-overview.json"), "utf8")), "dashboard");

function allPanels(panels: unknown[]): Obj[] {
  return panels.flatMap((p) => {
    const panel = obj(p, "panel");
    return [panel, ...(Array.isArray(panel.panels) ? allPanels(panel.panels) : [])];
  });
}

const panels = allPanels(arr(dashboard.panels, "panels"));
const queryPanels = panels.filter((p) => p.type !== "row");
const datasourceVars = new Set(
  arr(obj(dashboard.templating ?? { list: [] }, "templating").list, "templating.list")
    .map((v) => obj(v, "variable"))
    .filter((v) => v.type === "datasource")
    .map((v) => `\${${String(v.name)}}`),
);

function checkDatasource(ds: unknown, where: string) {
  const d = obj(ds, `${where} datasource`);
  assert.equal(d.type, "prometheus", `${where} datasource type`);
  assert.ok(typeof d.uid === "string" && d.uid.length > 0, `${where} datasource uid`);
  if (d.uid.startsWith("$")) assert.ok(datasourceVars.has(d.uid), `${where} uses undefined datasource variable ${d.uid}`);
}

test("the metric-name extractor finds metrics and ignores functions, labels and ranges", () => {
  assert.deepEqual(metricNames('histogram_quantile(0.99, sum by (le, route) (rate(foo_bucket{job=~"a|b", x="sum"}[5m])))'), ["foo_bucket"]);
  assert.deepEqual(metricNames("sum(rate(a_total[5m])) / sum(rate(b_total[$__rate_interval]))"), ["a_total", "b_total"]);
  assert.deepEqual(metricNames('up{job="x"} == 0'), ["up"]);
  assert.deepEqual(metricNames("label_values(up, job)"), ["up"]);
});

test("dashboard has a uid, a title and unique panel ids", () => {
  assert.equal(typeof dashboard.uid, "string");
  assert.equal(typeof dashboard.title, "string");
  assert.ok(typeof dashboard.schemaVersion === "number");
  const ids = panels.map((p) => p.id);
  assert.equal(new Set(ids).size, ids.length, "panel ids must be unique");
  for (const p of panels) {
    const pos = obj(p.gridPos, `panel ${String(p.title)} gridPos`);
    for (const k of ["x", "y", "w", "h"]) assert.equal(typeof pos[k], "number", `panel ${String(p.title)} gridPos.${k}`);
    assert.ok(Number(pos.x) + Number(pos.w) <= 24, `panel ${String(p.title)} overflows the grid`);
  }
});

test("every panel has a datasource and targets with a non-empty expr", () => {
  assert.ok(queryPanels.length >= 6);
  for (const panel of queryPanels) {
    const title = String(panel.title);
    checkDatasource(panel.datasource, title);
    const targets = arr(panel.targets, `${title} targets`);
    assert.ok(targets.length > 0, `${title} has no targets`);
    for (const t of targets) {
      const target = obj(t, `${title} target`);
      assert.ok(typeof target.expr === "string" && target.expr.trim().length > 0, `${title} target ${String(target.refId)} has no expr`);
      if (target.datasource !== undefined) checkDatasource(target.datasource, title);
    }
  }
});

test("every referenced metric is exported by the code", () => {
  const used = new Set<string>();
  const exprs: string[] = queryPanels.flatMap((p) => arr(p.targets, "targets").map((t) => String(obj(t, "target").expr)));
  for (const v of arr(obj(dashboard.templating, "templating").list, "list")) {
    const variable = obj(v, "variable");
    if (variable.type === "query") exprs.push(isObj(variable.query) ? String(variable.query.query) : String(variable.query));
  }
  for (const expr of exprs) {
    for (const name of metricNames(expr)) {
      assert.ok(exportedMetrics.has(name), `dashboard uses unknown metric ${name} in: ${expr}`);
      used.add(name);
    }
  }
  // The panels the overview promises.
  for (const name of ["up", "parley_http_requests_total", "parley_http_request_duration_seconds_bucket", "parley_bus_outbox_pending", "parley_bus_events_consumed_total", "parley_bus_dead_letters_total"]) {
    assert.ok(used.has(name), `no panel shows ${name}`);
  }
  const p99 = exprs.find((e) => e.includes("parley_http_request_duration_seconds_bucket"));
  assert.match(p99 ?? "", /histogram_quantile\(\s*0\.99/, "gateway latency must be a p99 over the histogram");
});

test("provisioning: the datasource uid matches the dashboard default and the provider path matches compose", () => {
  const ds = obj(parseYaml(readFileSync(repoPath("deploy/grafana/provisioning/datasources/prometheus.yml"), "utf8")), "datasources");
  const sources = arr(ds.datasources, "datasources").map((d) => obj(d, "datasource"));
  const prometheus = sources.find((d) => d.type === "prometheus");
  assert.ok(prometheus, "no prometheus datasource");
  assert.equal(prometheus.url, "http://prometheus:9090");
  const dsVar = arr(obj(dashboard.templating, "templating").list, "list").map((v) => obj(v, "v")).find((v) => v.type === "datasource");
  assert.equal(obj(dsVar?.current, "datasource variable current").value, prometheus.uid);

  const providers = obj(parseYaml(readFileSync(repoPath("deploy/grafana/provisioning/dashboards/parley.yml"), "utf8")), "providers");
  const provider = obj(arr(providers.providers, "providers")[0], "provider");
  const path = String(obj(provider.options, "options").path);
  const compose = obj(parseYaml(readFileSync(repoPath("docker-compose.yml"), "utf8")), "compose");
  const grafana = obj(obj(compose.services, "services").grafana, "grafana");
  const mounts = arr(grafana.volumes, "grafana.volumes").map(String);
  assert.ok(mounts.some((m) => m.startsWith("./deploy/grafana/parley-overview.json:") && m.split(":")[1]?.startsWith(`${path}/`)), `dashboard is not mounted under ${path}`);
  assert.ok(mounts.some((m) => m.startsWith("./deploy/grafana/provisioning:/etc/grafana/provisioning")), "provisioning is not mounted");
});
