import { credentials, makeGenericClientConstructor, Metadata, type Client, type ServiceDefinition, type ServiceError } from "@grpc/grpc-js";
import { fromGrpcError } from "@parley/errors";
import type { CallOptions, PromiseClient } from "./types";

export interface ClientOptions {
  /** Every call carries a deadline; this one unless the call says otherwise. */
  deadlineMs?: number;
}

export interface GrpcClient<S> {
  call: PromiseClient<S>;
  raw: Client;
  close(): void;
}

/** A promise-based client for a generated service definition: deadlines on every call, server errors rebuilt as domain errors. */
export function createClient<S extends ServiceDefinition>(
  definition: S,
  serviceName: string,
  address: string,
  { deadlineMs = 5_000 }: ClientOptions = {},
): GrpcClient<S> {
  const Ctor = makeGenericClientConstructor(definition, serviceName);
  const raw = new Ctor(address, credentials.createInsecure(), {
    "grpc.keepalive_time_ms": 30_000,
    "grpc.enable_retries": 1,
    // grpc-js waits up to 120 s between reconnects by default; a restarted replica is back within
    // seconds, and every call would fail UNAVAILABLE until the next attempt.
    "grpc.max_reconnect_backoff_ms": 5_000,
  });
  const call = {} as Record<string, (req: unknown, options?: CallOptions) => Promise<unknown>>;
  for (const [method, def] of Object.entries(definition)) {
    call[method] = (request: unknown, options?: CallOptions) =>
      new Promise((resolve, reject) => {
        const deadline = new Date(Date.now() + (options?.deadlineMs ?? deadlineMs));
        raw.makeUnaryRequest(
          def.path,
          def.requestSerialize,
          def.responseDeserialize,
          request,
          new Metadata(),
          { deadline },
          (err: ServiceError | null, response?: unknown) => (err ? reject(fromGrpcError(err)) : resolve(response)),
        );
      });
  }
  return { call: call as PromiseClient<S>, raw, close: () => raw.close() };
}
