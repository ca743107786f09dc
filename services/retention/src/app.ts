import { fileURLToPath } from "node:url";
import { createPrisma } from "@parley/db";
import { runService, type RunningService } from "@parley/service";
import { retentionV1 } from "@parley/proto";
import { NotFoundError, ValidationError } from "@parley/errors";
import { PrismaClient } from "./generated/prisma/client.ts";
import { workspacePolicyConsumer } from "./events/workspace-policies";

export const migrationsDir = fileURLToPath(new URL("../prisma/migrations", import.meta.url));

export function startRetentionService(env: NodeJS.ProcessEnv = process.env): Promise<RunningService> {
  return runService(
    {
      name: "retention",
      migrationsDir,
      createDb: (url, max) => createPrisma(PrismaClient, url, { max }),
      register({ db, grpc, consume }) {
        consume(workspacePolicyConsumer);
        grpc.add(retentionV1.RetentionServiceService, "parley.retention.v1.RetentionService", {
          async getRetentionPolicy(req) {
            if (!req.workspaceId) throw new ValidationError("workspace_id is required", [{ path: "workspace_id", message: "required" }]);
            const policy = await db.workspacePolicy.findUnique({ where: { workspaceId: req.workspaceId } });
            if (!policy) throw new NotFoundError("retention policy", req.workspaceId);
            return { workspaceId: policy.workspaceId, retentionDays: policy.retentionDays };
          },
        });
      },
    },
    env,
  );
}
