// Typed domain errors. Services throw these; the gRPC layer maps them to a status code and the
// gateway maps that status to problem+json. Anything else is an internal error and is never shown.

export interface FieldError {
  path: string;
  message: string;
}

export type DomainErrorKind =
  | "not_found"
  | "invalid_argument"
  | "already_exists"
  | "failed_precondition"
  | "permission_denied"
  | "unauthenticated"
  | "resource_exhausted"
  | "unavailable"
  | "upstream_failed";

export abstract class DomainError extends Error {
  abstract readonly kind: DomainErrorKind;
  /** Machine-readable details that survive the trip over gRPC (e.g. the existing lead id on a conflict). */
  readonly details: Record<string, unknown>;

  constructor(message: string, details: Record<string, unknown> = {}) {
    super(message);
    this.name = new.target.name;
    this.details = details;
  }
}

export class NotFoundError extends DomainError {
  readonly kind = "not_found";
  constructor(resource: string, id?: string) {
    super(id ? `${resource} ${id} not found` : `${resource} not found`, { resource, ...(id ? { id } : {}) });
  }
}

export class ValidationError extends DomainError {
  readonly kind = "invalid_argument";
  readonly errors: FieldError[];
  constructor(message: string, errors: FieldError[] = []) {
    super(message, { errors });
    this.errors = errors;
  }
}

/** A request field that must be present: the value, or a ValidationError naming the field. */
export function requireField(value: string, path: string): string {
  if (!value) throw new ValidationError(`${path} is required`, [{ path, message: "required" }]);
  return value;
}

export class ConflictError extends DomainError {
  readonly kind = "already_exists";
}

export class PreconditionError extends DomainError {
  readonly kind = "failed_precondition";
}

export class PermissionError extends DomainError {
  readonly kind = "permission_denied";
}

export class AuthenticationError extends DomainError {
  readonly kind = "unauthenticated";
}

export class CapacityError extends DomainError {
  readonly kind = "resource_exhausted";
}

export class DependencyUnavailableError extends DomainError {
  readonly kind = "unavailable";
}

/** An external provider refused or failed the request (its own message in the details): a 502 at the edge. */
export class UpstreamError extends DomainError {
  readonly kind = "upstream_failed";
}

export function isDomainError(err: unknown): err is DomainError {
  return err instanceof DomainError;
}
