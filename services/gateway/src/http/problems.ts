import type { FastifyError, FastifyInstance, FastifyReply } from "fastify";
import { isDomainError, problem, toProblem, type Problem } from "@parley/errors";

export const PROBLEM_TYPE = "application/problem+json";

export function sendProblem(reply: FastifyReply, body: Problem): FastifyReply {
  return reply.code(body.status).type(PROBLEM_TYPE).send(body);
}

interface AjvIssue {
  instancePath: string;
  message?: string;
  keyword: string;
  params: Record<string, unknown>;
}

/** `/settings/calling_hours` + missing `start` → `settings.calling_hours.start`. */
function fieldPath(issue: AjvIssue, context: string): string {
  const segments = issue.instancePath.split("/").filter(Boolean);
  if (issue.keyword === "required" && typeof issue.params.missingProperty === "string") segments.push(issue.params.missingProperty);
  if (issue.keyword === "additionalProperties" && typeof issue.params.additionalProperty === "string") segments.push(issue.params.additionalProperty);
  const path = segments.join(".");
  return context === "body" ? path || "body" : path ? `${context}.${path}` : context;
}

function issueMessage(issue: AjvIssue): string {
  if (issue.keyword === "additionalProperties") return "is not a known field";
  if (issue.keyword === "required") return "is required";
  return issue.message ?? "is invalid";
}

const TITLES: Record<number, string> = {
  400: "Invalid Request",
  401: "Unauthorized",
  403: "Forbidden",
  404: "Not Found",
  405: "Method Not Allowed",
  406: "Not Acceptable",
  413: "Payload Too Large",
  415: "Unsupported Media Type",
  422: "Unprocessable Content",
  429: "Too Many Requests",
};

/** Every error leaves as problem+json; bad input is never a 500, and a 500 never carries internals. */
export function registerProblemHandlers(app: FastifyInstance): void {
  app.setErrorHandler((error: FastifyError, request, reply) => {
    if (error.validation) {
      const context = error.validationContext ?? "body";
      const errors = (error.validation as AjvIssue[]).map((issue) => ({ path: fieldPath(issue, context), message: issueMessage(issue) }));
      return sendProblem(reply, problem(400, "Invalid Request", `${errors.length} field${errors.length === 1 ? "" : "s"} failed validation`, { errors }));
    }
    if (isDomainError(error)) {
      const body = toProblem(error);
      if (body.status >= 500) request.log.warn({ err: error }, "dependency unavailable");
      return sendProblem(reply, body);
    }
    const status = error.statusCode ?? 500;
    if (status >= 400 && status < 500) {
      // Fastify's own client errors: malformed JSON, body too large, unsupported content type.
      return sendProblem(reply, problem(status, TITLES[status] ?? "Client Error", error.message.replace(/^FST_\w+: /, "")));
    }
    request.log.error({ err: error }, "unhandled error");
    return sendProblem(reply, toProblem(error));
  });

  app.setNotFoundHandler((request, reply) => sendProblem(reply, problem(404, "Not Found", `no route ${request.method} ${request.url.split("?")[0]}`)));
}
