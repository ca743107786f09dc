import { Server, ServerCredentials, status as GrpcStatus, type ServiceDefinition, type UntypedServiceImplementation, type sendUnaryData, type ServerUnaryCall } from "@grpc/grpc-js";
import { HealthImplementation } from "grpc-health-check";
import type { Logger } from "@parley/logger";
import { isDomainError, toGrpcError } from "@parley/errors";
import { histogram } from "@parley/metrics";
import type { AsyncService } from "./types";

const handled = histogram("parley_grpc_server_handling_seconds", "gRPC server handling time", ["method", "code"]);

export interface GrpcServerOptions {
  logger: Logger;
  /** Largest message accepted, in bytes. */
  maxMessageBytes?: number;
}

/** A grpc-js server with the standard health service, domain-error mapping and a handling-time metric. */
export class GrpcServer {
  readonly server: Server;
  private readonly health = new HealthImplementation({ "": "NOT_SERVING" });
  private readonly serviceNames: string[] = [];
  private readonly logger: Logger;

  constructor({ logger, maxMessageBytes = 4 * 1024 * 1024 }: GrpcServerOptions) {
    this.logger = logger;
    this.server = new Server({ "grpc.max_receive_message_length": maxMessageBytes });
    this.health.addToServer(this.server);
  }

  add<S extends ServiceDefinition>(definition: S, name: string, impl: AsyncService<S>): this {
    const wrapped: UntypedServiceImplementation = {};
    for (const [method, fn] of Object.entries(impl as Record<string, (req: unknown, call: unknown) => Promise<unknown>>)) {
      wrapped[method] = (call: ServerUnaryCall<unknown, unknown>, callback: sendUnaryData<unknown>) => {
        const end = handled.startTimer({ method: `${name}/${method}` });
        fn(call.request, call).then(
          (response) => {
            end({ code: "OK" });
            callback(null, response);
          },
          (err: unknown) => {
            const mapped = toGrpcError(err);
            end({ code: GrpcStatus[mapped.code] });
            if (!isDomainError(err)) this.logger.error({ err, method: `${name}/${method}` }, "unhandled error in gRPC method");
            callback({ code: mapped.code, details: mapped.details, metadata: mapped.metadata, name: "GrpcError", message: mapped.details });
          },
        );
      };
    }
    this.server.addService(definition, wrapped);
    this.serviceNames.push(name);
    return this;
  }

  async listen(port: number, host = "0.0.0.0"): Promise<number> {
    return new Promise((resolve, reject) => {
      this.server.bindAsync(`${host}:${port}`, ServerCredentials.createInsecure(), (err, bound) =>
        err ? reject(err) : resolve(bound),
      );
    });
  }

  /** Health reports SERVING only once the process is ready (migrated, connected). */
  setServing(serving: boolean): void {
    const status = serving ? "SERVING" : "NOT_SERVING";
    this.health.setStatus("", status);
    for (const name of this.serviceNames) this.health.setStatus(name, status);
  }

  /** Stops accepting calls, lets in-flight calls finish for up to `graceMs`, then cuts the rest. */
  async shutdown(graceMs: number): Promise<void> {
    this.setServing(false);
    await new Promise<void>((resolve) => {
      const timer = setTimeout(() => {
        this.server.forceShutdown();
        resolve();
      }, graceMs);
      this.server.tryShutdown(() => {
        clearTimeout(timer);
        resolve();
      });
    });
  }
}
