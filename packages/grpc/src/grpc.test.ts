import { test } from "node:test";
import assert from "node:assert/strict";
import { status } from "@grpc/grpc-js";
import { ConflictError, DependencyUnavailableError, NotFoundError, toProblem, UpstreamError, ValidationError } from "@parley/errors";
import { createLogger } from "@parley/logger";
import { retentionV1 } from "@parley/proto";
import { createClient, createHealthClient, GrpcServer } from "./index";

const logger = createLogger({ service: "grpc-test", level: "silent" });

async function startServer(impl: Parameters<GrpcServer["add"]>[2]) {
  const server = new GrpcServer({ logger });
  server.add(retentionV1.RetentionServiceService, "parley.retention.v1.RetentionService", impl as never);
  const port = await server.listen(0, "127.0.0.1");
  server.setServing(true);
  return { server, address: `127.0.0.1:${port}` };
}

test("round-trips a call and maps domain errors to statuses and back", async () => {
  const { server, address } = await startServer({
    async getRetentionPolicy(req: retentionV1.GetRetentionPolicyRequest) {
      if (req.workspaceId === "missing") throw new NotFoundError("workspace", "missing");
      if (req.workspaceId === "dup") throw new ConflictError("lead exists", { existing_id: "ld_1" });
      if (req.workspaceId === "bad") throw new ValidationError("invalid", [{ path: "phone", message: "not a phone" }]);
      if (req.workspaceId === "boom") throw new Error("secret internals");
      if (req.workspaceId === "provider") throw new UpstreamError("vapi refused the call: simulated upstream failure", { provider: "vapi", provider_status: 500 });
      return { workspaceId: req.workspaceId, retentionDays: 30 };
    },
  });
  const client = createClient(retentionV1.RetentionServiceService, "parley.retention.v1.RetentionService", address);
  try {
    assert.deepEqual(await client.call.getRetentionPolicy({ workspaceId: "ws_1" }), { workspaceId: "ws_1", retentionDays: 30 });
    await assert.rejects(client.call.getRetentionPolicy({ workspaceId: "missing" }), NotFoundError);
    await assert.rejects(client.call.getRetentionPolicy({ workspaceId: "dup" }), (err: unknown) => {
      assert.ok(err instanceof ConflictError);
      assert.equal(err.details.existing_id, "ld_1");
      return true;
    });
    await assert.rejects(client.call.getRetentionPolicy({ workspaceId: "bad" }), (err: unknown) => {
      assert.ok(err instanceof ValidationError);
      assert.deepEqual(err.errors, [{ path: "phone", message: "not a phone" }]);
      return true;
    });
    await assert.rejects(client.call.getRetentionPolicy({ workspaceId: "provider" }), (err: unknown) => {
      assert.ok(err instanceof UpstreamError);
      assert.equal(err.details.provider, "vapi");
      const problem = toProblem(err);
      assert.equal(problem.status, 502);
      assert.match(problem.detail, /simulated upstream failure/);
      return true;
    });
    await assert.rejects(client.call.getRetentionPolicy({ workspaceId: "boom" }), (err: unknown) => {
      assert.equal((err as { code?: number }).code, status.INTERNAL);
      assert.ok(!String((err as Error).message).includes("secret internals"));
      return true;
    });
  } finally {
    client.close();
    await server.shutdown(1000);
  }
});

test("calls carry a deadline: a slow method fails as unavailable instead of hanging", async () => {
  const { server, address } = await startServer({
    getRetentionPolicy: () => new Promise((resolve) => setTimeout(() => resolve({ workspaceId: "x", retentionDays: 1 }), 2_000)),
  });
  const client = createClient(retentionV1.RetentionServiceService, "parley.retention.v1.RetentionService", address, { deadlineMs: 100 });
  try {
    await assert.rejects(client.call.getRetentionPolicy({ workspaceId: "x" }), DependencyUnavailableError);
  } finally {
    client.close();
    await server.shutdown(10);
  }
});

test("exposes grpc.health.v1 reporting SERVING only when ready", async () => {
  const { server, address } = await startServer({ getRetentionPolicy: async () => ({ workspaceId: "", retentionDays: 0 }) });
  const health = createHealthClient(address);
  const check = (service: string) => health.check(service);
  try {
    assert.equal(await check(""), "SERVING");
    assert.equal(await check("parley.retention.v1.RetentionService"), "SERVING");
    server.setServing(false);
    assert.equal(await check(""), "NOT_SERVING");
  } finally {
    health.close();
    await server.shutdown(100);
  }
});
