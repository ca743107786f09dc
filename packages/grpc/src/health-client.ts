import { createRequire } from "node:module";
import { credentials, loadPackageDefinition, Metadata, type ChannelCredentials, type Client } from "@grpc/grpc-js";
import { loadSync } from "@grpc/proto-loader";

type HealthStub = Client & {
  check(req: { service: string }, md: Metadata, options: { deadline: Date }, cb: (err: Error | null, res?: { status: string }) => void): void;
};

const require = createRequire(import.meta.url);
const { protoPath } = require("grpc-health-check") as { protoPath: string };
const pkg = loadPackageDefinition(loadSync(protoPath, { enums: String })) as unknown as {
  grpc: { health: { v1: { Health: new (address: string, creds: ChannelCredentials) => HealthStub } } };
};

export interface HealthClient {
  /** Resolves with the serving status of `service` ("" = the whole server); rejects when unreachable. */
  check(service?: string, deadlineMs?: number): Promise<string>;
  close(): void;
}

/** A grpc.health.v1 client, for readiness checks of a process's gRPC dependencies. */
export function createHealthClient(address: string): HealthClient {
  const stub = new pkg.grpc.health.v1.Health(address, credentials.createInsecure());
  return {
    check: (service = "", deadlineMs = 1000) =>
      new Promise((resolve, reject) =>
        stub.check({ service }, new Metadata(), { deadline: new Date(Date.now() + deadlineMs) }, (err, res) => (err ? reject(err) : resolve(res?.status ?? "UNKNOWN"))),
      ),
    close: () => stub.close(),
  };
}
