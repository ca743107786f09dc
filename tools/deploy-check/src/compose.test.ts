// Static checks of docker-compose.yml (no Docker engine here, so nothing is started or pulled).
import { before, test } from "node:test";
import assert from "node:assert/strict";
import { existsSync, readFileSync } from "node:fs";
import { arr, isObj, obj, type Obj, parseYaml, repoPath } from "./support.ts";

// Components built from the repo's Dockerfile, with their ports and entry points.
const app: Record<string, { entry: string; ports: string[] }> = {
  gateway: { entry: "services/gateway/src/main.ts", ports: ["GATEWAY_PORT=8080"] },
  leads: { entry: "services/leads/src/main.ts", ports: ["GRPC_PORT=50051", "HTTP_PORT=9101"] },
  voice: { entry: "services/voice/src/main.ts", ports: ["GRPC_PORT=50052", "HTTP_PORT=9102"] },
  whatsapp: { entry: "services/whatsapp/src/main.ts", ports: ["GRPC_PORT=50053", "HTTP_PORT=9103"] },
  analytics: { entry: "services/analytics/src/main.ts", ports: ["GRPC_PORT=50054", "HTTP_PORT=9104"] },
  retention: { entry: "services/retention/src/main.ts", ports: ["GRPC_PORT=50055", "HTTP_PORT=9105"] },
};
const simulator = { entry: "tools/simulator/src/main.ts", ports: ["SIMULATOR_PORT=8090"] };
// Third-party images allowed in the file (repository names, tags are free).
const knownImages = ["postgres", "nats", "otel/opentelemetry-collector-contrib", "prom/prometheus", "grafana/grafana"];
const observability = ["otel-collector", "prometheus", "grafana"];

let services: Record<string, Obj> = {};
let volumes: Obj = {};

before(() => {
  const doc = obj(parseYaml(readFileSync(repoPath("docker-compose.yml"), "utf8")), "docker-compose.yml");
  services = Object.fromEntries(Object.entries(obj(doc.services, "services")).map(([k, v]) => [k, obj(v, `services.${k}`)]));
  volumes = isObj(doc.volumes) ? doc.volumes : {};
});

/** Compose env may be a map or a list of KEY=VALUE strings. */
function environment(service: Obj): Record<string, string> {
  const env = service.environment ?? {};
  if (Array.isArray(env)) return Object.fromEntries(env.map((e) => String(e).split(/=(.*)/s).slice(0, 2) as [string, string]));
  return Object.fromEntries(Object.entries(obj(env, "environment")).map(([k, v]) => [k, v == null ? "" : String(v)]));
}

function dependsOn(service: Obj): Record<string, string> {
  const deps = service.depends_on ?? {};
  if (Array.isArray(deps)) return Object.fromEntries(deps.map((d) => [String(d), "service_started"]));
  return Object.fromEntries(Object.entries(obj(deps, "depends_on")).map(([k, v]) => [k, String(obj(v, `depends_on.${k}`).condition ?? "service_started")]));
}

function profiles(service: Obj): string[] {
  return Array.isArray(service.profiles) ? service.profiles.map(String) : [];
}

test("every service uses the repo build or a known image", () => {
  assert.ok(Object.keys(services).length > 0);
  for (const [name, service] of Object.entries(services)) {
    if (service.build !== undefined) {
      const context = typeof service.build === "string" ? service.build : String(obj(service.build, "build").context ?? ".");
      const dockerfile = isObj(service.build) && typeof service.build.dockerfile === "string" ? service.build.dockerfile : "Dockerfile";
      assert.ok(existsSync(repoPath(context, dockerfile)), `${name}: ${context}/${dockerfile} does not exist`);
      continue;
    }
    assert.equal(typeof service.image, "string", `${name} has neither build nor image`);
    const image = String(service.image);
    const repository = image.replace(/@sha256:.*$/, "").replace(/:[^/:]+$/, "");
    assert.ok(knownImages.includes(repository), `${name}: unknown image ${image}`);
    assert.match(image, /:[^/:]+$/, `${name}: pin a tag for ${image}`);
  }
  assert.match(String(services.postgres?.image), /^postgres:15/);
  assert.match(String(services.nats?.image), /^nats:2\.10/);
});

test("the app services run their entry point with the right ports", () => {
  for (const [name, spec] of Object.entries({ ...app, simulator })) {
    const service = services[name];
    assert.ok(service, `missing service ${name}`);
    assert.ok(service.build !== undefined, `${name} must be built from the repo`);
    // Services load their OpenTelemetry bootstrap first, so instrumented modules are patched as they load.
    const instrument = spec.entry.startsWith("services/") ? ["--import", `./${spec.entry.replace(/main\.ts$/, "instrument.ts")}`] : [];
    assert.deepEqual(arr(service.command, `${name}.command`).map(String), ["node", "--import", "tsx", ...instrument, spec.entry], `${name} command`);
    if (instrument[1]) assert.ok(existsSync(repoPath(instrument[1])), `${instrument[1]} does not exist`);
    assert.ok(existsSync(repoPath(spec.entry)), `${spec.entry} does not exist`);
    const env = environment(service);
    for (const pair of spec.ports) {
      const [key, value] = pair.split("=");
      assert.equal(env[key ?? ""], value, `${name} ${key}`);
    }
  }
});

test("references to other hosts in the environment name defined services", () => {
  const names = new Set(Object.keys(services));
  for (const [name, service] of Object.entries(services)) {
    for (const [key, value] of Object.entries(environment(service))) {
      const hosts: string[] = [];
      // URLs (postgres://user:pw@host:5432/db, nats://host:4222, http://host:8080).
      for (const m of value.matchAll(/[a-z][a-z0-9+.-]*:\/\/(?:[^@/\s]*@)?([A-Za-z0-9_.-]+)(?::\d+)?/g)) hosts.push(m[1] ?? "");
      // Bare host:port (the *_GRPC_ADDR variables).
      if (/_ADDR$/.test(key)) {
        const m = /^([A-Za-z0-9_.-]+):(\d+)$/.exec(value);
        assert.ok(m, `${name} ${key}=${value} is not host:port`);
        hosts.push(m[1] ?? "");
      }
      for (const host of hosts) {
        if (host === "127.0.0.1" || host === "localhost" || host === "0.0.0.0") continue;
        assert.ok(names.has(host), `${name} ${key}=${value} refers to undefined service ${host}`);
      }
    }
  }
});

test("the gateway addresses every gRPC service on its gRPC port", () => {
  const env = environment(services.gateway ?? {});
  for (const [name, spec] of Object.entries(app)) {
    if (name === "gateway") continue;
    const port = spec.ports.find((p) => p.startsWith("GRPC_PORT="))?.split("=")[1];
    assert.equal(env[`${name.toUpperCase()}_GRPC_ADDR`], `${name}:${port}`);
  }
  assert.ok(env.PARLEY_ADMIN_TOKEN, "gateway needs PARLEY_ADMIN_TOKEN");
});

test("each app service uses its own database on the postgres service and NATS", () => {
  for (const name of Object.keys(app)) {
    const env = environment(services[name] ?? {});
    assert.match(env.DATABASE_URL ?? "", new RegExp(`^postgres://[^@]*@postgres:5432/parley_${name}$`), `${name} DATABASE_URL`);
    assert.equal(env.NATS_URL, "nats://nats:4222", `${name} NATS_URL`);
    // Services listen on 127.0.0.1 by default, unreachable from other containers.
    assert.equal(env.HTTP_HOST, "0.0.0.0", `${name} HTTP_HOST`);
  }
  assert.equal(environment(services.simulator ?? {}).SIMULATOR_HOST, "0.0.0.0");
});

test("each app service waits for healthy postgres and nats", () => {
  for (const name of Object.keys(app)) {
    const deps = dependsOn(services[name] ?? {});
    assert.equal(deps.postgres, "service_healthy", `${name} -> postgres`);
    assert.equal(deps.nats, "service_healthy", `${name} -> nats`);
  }
  for (const [name, service] of Object.entries(services)) {
    for (const dep of Object.keys(dependsOn(service))) {
      assert.ok(services[dep], `${name} depends on undefined service ${dep}`);
      // A default-profile service must not wait for one that only exists in a profile.
      if (profiles(service).length === 0) assert.equal(profiles(services[dep] ?? {}).length, 0, `${name} depends on profiled ${dep}`);
    }
  }
});

test("postgres and nats have healthchecks and NATS runs JetStream", () => {
  for (const name of ["postgres", "nats"]) {
    const health = obj(services[name]?.healthcheck, `${name}.healthcheck`);
    assert.ok(arr(health.test, `${name}.healthcheck.test`).length > 1, `${name} healthcheck test`);
  }
  const command = services.nats?.command;
  const args = Array.isArray(command) ? command.map(String) : String(command ?? "").split(/\s+/);
  assert.ok(args.includes("-js") || args.includes("--jetstream"), "nats must run with -js");
});

test("the gateway publishes 8080", () => {
  const ports = arr(services.gateway?.ports, "gateway.ports").map((p) => (isObj(p) ? `${String(p.published)}:${String(p.target)}` : String(p)));
  assert.ok(ports.some((p) => /^(?:[\d.]+:)?8080:8080(?:\/tcp)?$/.test(p)), `gateway ports ${ports.join(", ")}`);
});

test("observability services sit behind the observability profile and mount files that exist", () => {
  for (const name of observability) {
    const service = services[name];
    assert.ok(service, `missing ${name}`);
    assert.deepEqual(profiles(service), ["observability"], `${name} profiles`);
  }
  for (const [name, service] of Object.entries(services)) {
    if (!observability.includes(name)) assert.deepEqual(profiles(service), [], `${name} must start without a profile`);
    for (const volume of arr(service.volumes ?? [], `${name}.volumes`)) {
      const source = isObj(volume) ? String(volume.source) : String(volume).split(":")[0] ?? "";
      if (source.startsWith(".")) assert.ok(existsSync(repoPath(source)), `${name} mounts missing ${source}`);
      else assert.ok(source in volumes, `${name} uses undeclared volume ${source}`);
    }
  }
});
