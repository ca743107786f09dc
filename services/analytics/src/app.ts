import { fileURLToPath } from "node:url";
import { createPrisma } from "@parley/db";
import { runService, type RunningService } from "@parley/service";
import { analyticsV1 } from "@parley/proto";
import { ValidationError } from "@parley/errors";
import { PrismaClient } from "./generated/prisma/client.ts";
import { leadStatsConsumer } from "./events/lead-stats";

export const migrationsDir = fileURLToPath(new URL("../prisma/migrations", import.meta.url));

export function startAnalyticsService(env: NodeJS.ProcessEnv = process.env): Promise<RunningService> {
  return runService(
    {
      name: "analytics",
      migrationsDir,
      createDb: (url, max) => createPrisma(PrismaClient, url, { max }),
      register({ db, grpc, consume }) {
        consume(leadStatsConsumer);
        grpc.add(analyticsV1.AnalyticsServiceService, "parley.analytics.v1.AnalyticsService", {
          async getLeadStats(req) {
            if (!req.workspaceId) throw new ValidationError("workspace_id is required", [{ path: "workspace_id", message: "required" }]);
            const rows = await db.leadStat.findMany({ where: { workspaceId: req.workspaceId } });
            const bySource = Object.fromEntries(rows.map((r) => [r.source, Number(r.leadsCreated)]));
            return { leadsCreated: rows.reduce((sum, r) => sum + Number(r.leadsCreated), 0), bySource };
          },
        });
      },
    },
    env,
  );
}
