import { Metadata, status as GrpcStatus, type ServiceError } from "@grpc/grpc-js";
import {
  AuthenticationError,
  CapacityError,
  ConflictError,
  DependencyUnavailableError,
  DomainError,
  type DomainErrorKind,
  NotFoundError,
  PermissionError,
  PreconditionError,
  UpstreamError,
  ValidationError,
} from "./domain-errors";

const DETAILS_KEY = "parley-error-details-bin";

const statusByKind: Record<DomainErrorKind, GrpcStatus> = {
  not_found: GrpcStatus.NOT_FOUND,
  invalid_argument: GrpcStatus.INVALID_ARGUMENT,
  already_exists: GrpcStatus.ALREADY_EXISTS,
  failed_precondition: GrpcStatus.FAILED_PRECONDITION,
  permission_denied: GrpcStatus.PERMISSION_DENIED,
  unauthenticated: GrpcStatus.UNAUTHENTICATED,
  resource_exhausted: GrpcStatus.RESOURCE_EXHAUSTED,
  unavailable: GrpcStatus.UNAVAILABLE,
  // No gRPC code means "a third party refused"; ABORTED (nothing was done, the caller may decide to retry) comes closest.
  upstream_failed: GrpcStatus.ABORTED,
};

export interface GrpcErrorPayload {
  code: GrpcStatus;
  details: string;
  metadata: Metadata;
}

/** Domain error → gRPC status with its details carried in binary metadata. Unknown errors become INTERNAL with a fixed message. */
export function toGrpcError(err: unknown): GrpcErrorPayload {
  const metadata = new Metadata();
  if (err instanceof DomainError) {
    metadata.set(DETAILS_KEY, Buffer.from(JSON.stringify(err.details)));
    return { code: statusByKind[err.kind], details: err.message, metadata };
  }
  return { code: GrpcStatus.INTERNAL, details: "internal error", metadata };
}

function readDetails(metadata: Metadata | undefined): Record<string, unknown> {
  const raw = metadata?.get(DETAILS_KEY)[0];
  if (!raw) return {};
  try {
    const parsed: unknown = JSON.parse(Buffer.isBuffer(raw) ? raw.toString("utf8") : String(raw));
    return parsed && typeof parsed === "object" ? (parsed as Record<string, unknown>) : {};
  } catch {
    return {};
  }
}

/** The error a gRPC client raises, rebuilt as the domain error the server threw (or returned as is). */
export function fromGrpcError(err: unknown): unknown {
  const se = err as Partial<ServiceError>;
  if (typeof se?.code !== "number") return err;
  const details = readDetails(se.metadata);
  const message = se.details ?? se.message ?? "";
  switch (se.code) {
    case GrpcStatus.NOT_FOUND: {
      const e = new NotFoundError(String(details.resource ?? "resource"));
      e.message = message;
      Object.assign(e.details, details);
      return e;
    }
    case GrpcStatus.INVALID_ARGUMENT:
      return new ValidationError(message, Array.isArray(details.errors) ? (details.errors as never) : []);
    case GrpcStatus.ALREADY_EXISTS:
      return new ConflictError(message, details);
    case GrpcStatus.FAILED_PRECONDITION:
      return new PreconditionError(message, details);
    case GrpcStatus.PERMISSION_DENIED:
      return new PermissionError(message, details);
    case GrpcStatus.UNAUTHENTICATED:
      return new AuthenticationError(message, details);
    case GrpcStatus.RESOURCE_EXHAUSTED:
      return new CapacityError(message, details);
    case GrpcStatus.ABORTED:
      return new UpstreamError(message, details);
    case GrpcStatus.UNAVAILABLE:
    case GrpcStatus.DEADLINE_EXCEEDED:
      return new DependencyUnavailableError(message || "dependency unavailable", { grpc_code: se.code });
    default:
      return err;
  }
}
