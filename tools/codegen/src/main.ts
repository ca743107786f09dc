// `npm run gen`: regenerates the committed ts-proto code from proto/ and the per-service Prisma
// clients. `--check` regenerates into a scratch folder and fails when the committed code differs.
import { execFileSync } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync, existsSync, cpSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative, resolve } from "node:path";

const root = resolve(import.meta.dirname, "../../..");
const committed = join(root, "packages/proto/src/gen");
const bin = (name: string) => join(root, "node_modules/.bin", name);

export function generateProto(out: string): void {
  rmSync(out, { recursive: true, force: true });
  const template = readFileSync(join(root, "proto/buf.gen.yaml"), "utf8").replace(
    "out: ../packages/proto/src/gen",
    `out: ${out}`,
  );
  execFileSync(bin("buf"), ["generate", "--template", template], { cwd: join(root, "proto"), stdio: "inherit" });
}

export function generatePrisma(): void {
  for (const service of readdirSync(join(root, "services"))) {
    const schema = join(root, "services", service, "prisma/schema.prisma");
    if (!existsSync(schema)) continue;
    // Prisma's schema engine cannot be downloaded here and `generate` does not need it.
    execFileSync(bin("prisma"), ["generate", "--schema", schema], {
      cwd: join(root, "services", service),
      stdio: ["ignore", "ignore", "inherit"],
      env: { ...process.env, PRISMA_SCHEMA_ENGINE_BINARY: process.env.PRISMA_SCHEMA_ENGINE_BINARY ?? "/bin/false" },
    });
  }
}

function listFiles(dir: string, base = dir): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? listFiles(join(dir, e.name), base) : [relative(base, join(dir, e.name))],
  );
}

export function staleProtoFiles(): string[] {
  const scratch = mkdtempSync(join(tmpdir(), "parley-gen-"));
  try {
    generateProto(join(scratch, "gen"));
    const fresh = listFiles(join(scratch, "gen")).sort();
    const current = existsSync(committed) ? listFiles(committed).sort() : [];
    const names = new Set([...fresh, ...current]);
    return [...names].filter((name) => {
      const a = join(scratch, "gen", name);
      const b = join(committed, name);
      return !existsSync(a) || !existsSync(b) || readFileSync(a, "utf8") !== readFileSync(b, "utf8");
    });
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}

const isMain = process.argv[1] && resolve(process.argv[1]) === resolve(import.meta.filename);
if (isMain) {
  const args = new Set(process.argv.slice(2));
  if (args.has("--check")) {
    const stale = staleProtoFiles();
    if (stale.length) {
      console.error(`generated code is stale, run npm run gen:\n  ${stale.join("\n  ")}`);
      process.exit(1);
    }
    console.log("generated code is up to date");
  } else if (args.has("--prisma")) {
    generatePrisma();
  } else {
    const scratch = mkdtempSync(join(tmpdir(), "parley-gen-"));
    generateProto(join(scratch, "gen"));
    rmSync(committed, { recursive: true, force: true });
    cpSync(join(scratch, "gen"), committed, { recursive: true });
    rmSync(scratch, { recursive: true, force: true });
    generatePrisma();
    console.log("regenerated packages/proto and the Prisma clients");
  }
}
