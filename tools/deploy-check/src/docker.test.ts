// Static checks of the Dockerfile, its start script and .dockerignore (no Docker engine here: nothing is built).
import { test } from "node:test";
import assert from "node:assert/strict";
import { existsSync, readFileSync, statSync } from "node:fs";
import { repoPath, run } from "./support.ts";

const components = ["gateway", "leads", "voice", "whatsapp", "analytics", "retention", "simulator"];

/** Dockerfile instructions with continuation lines joined and comments dropped. */
function instructions(text: string): { op: string; args: string }[] {
  return text
    .split("\n")
    .filter((l) => !/^\s*#/.test(l))
    .join("\n")
    .replace(/\\\n/g, " ")
    .split("\n")
    .map((l) => l.trim())
    .filter(Boolean)
    .map((l) => {
      const [op = "", ...rest] = l.split(/\s+/);
      return { op: op.toUpperCase(), args: rest.join(" ") };
    });
}

const dockerfile = instructions(readFileSync(repoPath("Dockerfile"), "utf8"));

function finalStage() {
  const lastFrom = dockerfile.map((i) => i.op).lastIndexOf("FROM");
  return dockerfile.slice(lastFrom);
}

test("every stage builds on node:20-bookworm-slim and dependencies come from npm ci", () => {
  const froms = dockerfile.filter((i) => i.op === "FROM");
  assert.ok(froms.length >= 2, "expected a multi-stage build");
  for (const from of froms) assert.match(from.args, /^node:20-bookworm-slim(\s+AS\s+\w+)?$/i);
  assert.ok(dockerfile.some((i) => i.op === "RUN" && /\bnpm ci\b/.test(i.args)), "npm ci is missing");
  // tsx (a dev dependency) runs the sources, so dev dependencies must not be pruned or omitted.
  assert.ok(!dockerfile.some((i) => i.op === "RUN" && /npm prune|--omit[= ]dev|--production/.test(i.args)), "dev dependencies (tsx) are needed at runtime");
});

test("the runtime stage is production, non-root and starts through the start script", () => {
  const stage = finalStage();
  const env = stage.filter((i) => i.op === "ENV").map((i) => i.args).join(" ");
  assert.match(env, /NODE_ENV=production/);
  assert.match(env, /HTTP_HOST=0\.0\.0\.0/);
  const users = stage.filter((i) => i.op === "USER");
  assert.ok(users.length > 0, "runtime stage must set USER");
  const user = users.at(-1)?.args ?? "";
  assert.match(user, /^\d+(:\d+)?$/, "use a numeric uid so Kubernetes can verify runAsNonRoot");
  assert.notEqual(Number(user.split(":")[0]), 0, "must not run as root");
  assert.ok(stage.some((i) => i.op === "ARG" && /^SERVICE\b/.test(i.args)), "SERVICE build arg is missing");
  assert.match(stage.find((i) => i.op === "CMD")?.args ?? "", /parley-start/);
});

test("the start script launches every component and rejects unknown ones", () => {
  const script = repoPath("deploy/docker/start.sh");
  assert.ok(statSync(script).mode & 0o111, "start.sh must be executable");
  const text = readFileSync(script, "utf8");
  for (const name of components) {
    assert.match(text, new RegExp(`\\b${name}\\b`), `start.sh does not know ${name}`);
    const entry = name === "simulator" ? "tools/simulator/src/main.ts" : `services/${name}/src/main.ts`;
    assert.ok(existsSync(repoPath(entry)), `${entry} does not exist`);
  }
  assert.equal(run("sh", ["-n", script]).status, 0, "start.sh has a syntax error");
  const unknown = run("env", ["SERVICE=nope", "sh", script]);
  assert.equal(unknown.status, 64);
  assert.match(unknown.stderr, /unknown SERVICE 'nope'/);
});

test(".dockerignore keeps local state out of the build context", () => {
  const lines = readFileSync(repoPath(".dockerignore"), "utf8").split("\n").map((l) => l.trim());
  for (const entry of ["node_modules", ".parley", ".git", "coverage"]) {
    assert.ok(lines.some((l) => l === entry || l === `**/${entry}`), `.dockerignore is missing ${entry}`);
  }
  // The start script is copied into the image, so it must stay in the context.
  assert.ok(!lines.some((l) => l === "deploy" || l === "deploy/docker"), "deploy/docker must stay in the build context");
});
