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

export const migrationsDir = fileURLToPath(new URL("../prisma/migrations", import.meta.url));

export function startLeadsService(env: NodeJS.ProcessEnv = process.env): Promise<RunningService> {
  return runService(
    {
      name: "leads",
      migrationsDir,
      createDb: (url, max) => createPrisma(PrismaClient, url, { max }),
      register({ db, grpc, consume }) {
        const leads = new LeadsDomain(db);
        consume(callActivityConsumer(leads));
        consume(callInsightsConsumer(leads));
        grpc.add(leadsV1.LeadsServiceService, LEADS_SERVICE_NAME, leadsService(leads, new WorkspacesDomain(db)));
      },
    },
    env,
  );
}
