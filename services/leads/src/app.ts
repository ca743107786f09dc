import { fileURLToPath } from "node:url";
import { createPrisma } from "@parley/db";
import { runService, type RunningService } from "@parley/service";
import { leadsV1 } from "@parley/proto";
import { PrismaClient } from "./generated/prisma/client.ts";
import { LeadsDomain } from "./domain/leads";
import { WorkspacesDomain } from "./domain/workspaces";
import { LEADS_SERVICE_NAME, leadsService } from "./grpc/leads-service";
import { callActivityConsumer } from "./events/call-activity";
import { callInsightsConsumer } from "./events/call-insights";
import { ImportWorker } from "./imports/import-worker";
import { LeadImports } from "./imports/lead-imports";

export const migrationsDir = fileURLToPath(new URL("../prisma/migrations", import.meta.url));

export function startLeadsService(env: NodeJS.ProcessEnv = process.env): Promise<RunningService> {
  return runService(
    {
      name: "leads",
      migrationsDir,
      createDb: (url, max) => createPrisma(PrismaClient, url, { max }),
      register({ db, pool, grpc, consume, background, logger }) {
        const leads = new LeadsDomain(db);
        consume(callActivityConsumer(leads));
        consume(callInsightsConsumer(leads));
        background(new ImportWorker(pool, logger));
        grpc.add(leadsV1.LeadsServiceService, LEADS_SERVICE_NAME, leadsService(leads, new WorkspacesDomain(db), new LeadImports(db, pool)));
      },
    },
    env,
  );
}
