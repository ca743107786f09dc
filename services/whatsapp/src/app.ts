import { fileURLToPath } from "node:url";
import { createPrisma } from "@parley/db";
import { encryptionKeysEnv, integrationRpcs, IntegrationStore } from "@parley/integrations";
import { runService, type RunningService } from "@parley/service";
import { whatsappV1 } from "@parley/proto";
import { optOutConsumer, optOutProjectionRpc } from "@parley/consent-projection";
import { PrismaClient } from "./generated/prisma/client.ts";
import { verifyTwilioRpc } from "./webhooks/twilio-signature";

export const migrationsDir = fileURLToPath(new URL("../prisma/migrations", import.meta.url));

const WHATSAPP_INTEGRATIONS = ["twilio", "meta_whatsapp", "openai"] as const;

export function startWhatsAppService(env: NodeJS.ProcessEnv = process.env): Promise<RunningService> {
  return runService(
    {
      name: "whatsapp",
      migrationsDir,
      env: { PARLEY_ENCRYPTION_KEYS: encryptionKeysEnv },
      createDb: (url, max) => createPrisma(PrismaClient, url, { max }),
      register({ db, grpc, consume, config }) {
        consume(optOutConsumer("whatsapp"));
        const integrations = new IntegrationStore(db, config.PARLEY_ENCRYPTION_KEYS, WHATSAPP_INTEGRATIONS);
        grpc.add(whatsappV1.WhatsAppServiceService, "parley.whatsapp.v1.WhatsAppService", {
          ...optOutProjectionRpc(db),
          ...integrationRpcs(integrations),
          ...verifyTwilioRpc(integrations),
        });
      },
    },
    env,
  );
}
