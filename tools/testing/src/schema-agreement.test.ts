// Every service's Prisma schema must describe exactly what its SQL migrations build.
import { test } from "node:test";
import assert from "node:assert/strict";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { compareSchemas, infrastructureTable, migrate, parsePrismaSchema, readDatabaseTables } from "@parley/db";
import { createTestDatabase } from "@parley/testing";

const services = resolve(import.meta.dirname, "../../../services");
const withSchemas = readdirSync(services).filter((name) => existsSync(join(services, name, "prisma/schema.prisma")));

test("every service has a Prisma schema", () => {
  assert.deepEqual(withSchemas.sort(), ["analytics", "gateway", "leads", "retention", "voice", "whatsapp"]);
});

for (const service of withSchemas) {
  test(`${service}: the Prisma schema and the migrated database agree`, async () => {
    const url = await createTestDatabase(`schema_${service}`);
    await migrate(url, [{ namespace: service, dir: join(services, service, "prisma/migrations") }]);
    const prisma = parsePrismaSchema(readFileSync(join(services, service, "prisma/schema.prisma"), "utf8"));
    const problems = compareSchemas(prisma, await readDatabaseTables(url, infrastructureTable));
    assert.deepEqual(problems, [], `${service} schema drift:\n${problems.join("\n")}`);
  });
}
