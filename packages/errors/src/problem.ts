import { DomainError, type DomainErrorKind, type FieldError, ValidationError } from "./domain-errors";

/** RFC 9457 problem details, as the gateway sends them. */
export interface Problem {
  type: string;
  title: string;
  status: number;
  detail: string;
  errors?: FieldError[];
  [extension: string]: unknown;
}

const PROBLEM_BASE = "https://parley.dev/problems/";

const httpByKind: Record<DomainErrorKind, { status: number; title: string }> = {
  not_found: { status: 404, title: "Not Found" },
  invalid_argument: { status: 400, title: "Invalid Request" },
  already_exists: { status: 409, title: "Conflict" },
  failed_precondition: { status: 409, title: "Precondition Failed" },
  permission_denied: { status: 403, title: "Forbidden" },
  unauthenticated: { status: 401, title: "Unauthorized" },
  resource_exhausted: { status: 429, title: "Too Many Requests" },
  unavailable: { status: 503, title: "Service Unavailable" },
  upstream_failed: { status: 502, title: "Bad Gateway" },
};

export function problem(status: number, title: string, detail: string, extra: Record<string, unknown> = {}): Problem {
  const slug = title.toLowerCase().replace(/[^a-z0-9]+/g, "-").replace(/(^-|-$)/g, "");
  return { type: PROBLEM_BASE + slug, title, status, detail, ...extra };
}

/** Domain error → problem+json body. Everything that is not a domain error is a 500 with no internals. */
export function toProblem(err: unknown): Problem {
  if (err instanceof DomainError) {
    const { status, title } = httpByKind[err.kind];
    const extra: Record<string, unknown> = {};
    if (err instanceof ValidationError) extra.errors = err.errors;
    else for (const [k, v] of Object.entries(err.details)) extra[k] = v;
    return problem(status, title, err.message, extra);
  }
  return problem(500, "Internal Server Error", "An unexpected error occurred.");
}
