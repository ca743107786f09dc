// A lead travels from REST to an event that another service applies exactly once, through a relay
// crash between publish and mark and a NATS restart.
import { test } from "node:test";
import assert from "node:assert/strict";
import { jetstreamManager } from "@nats-io/jetstream";
import { connect } from "@nats-io/transport-node";
import { streamName } from "@parley/bus";
import { createClient } from "@parley/grpc";
import { analyticsV1 } from "@parley/proto";
import { cleanup, testPool } from "@parley/testing";
import { ADMIN_TOKEN, api, bootStack, waitFor } from "./harness";

test("REST → leads → outbox → JetStream → analytics, exactly once through a relay crash and a NATS restart", { timeout: 180_000 }, async () => {
  const { stack, nats, options } = await bootStack();
  const analytics = createClient(analyticsV1.AnalyticsServiceService, "parley.analytics.v1.AnalyticsService", stack.grpcAddress("analytics"));
  cleanup(() => analytics.close());
  const db = testPool(stack.databaseUrls.analytics, 2);

  const created = await api(stack, "POST", "/v1/workspaces", ADMIN_TOKEN, { name: "E2E", timezone: "America/New_York", settings: { default_country: "US" } });
  assert.equal(created.status, 201);
  const ws = created.body.workspace.id as string;
  const key = created.body.api_key.secret as string;
  const leadsCreated = async () => Number((await analytics.call.getLeadStats({ workspaceId: ws })).leadsCreated);

  const first = await api(stack, "POST", "/v1/leads", key, { phone: "+1 415 555 0101", name: "First" });
  assert.equal(first.status, 201);
  const dup = await api(stack, "POST", "/v1/leads", key, { phone: "(415) 555-0101" });
  assert.equal(dup.status, 409);
  assert.equal(dup.body.existing_lead_id, first.body.id);
  await waitFor("analytics to count the first lead", async () => (await leadsCreated()) === 1);

  // The relay publishes, then the process dies before marking the row sent.
  await stack.processes.leads.restart({ PARLEY_CHAOS: "relay_exit_after_publish" });
  const second = await api(stack, "POST", "/v1/leads", key, { phone: "+1 415 555 0102", name: "Second" });
  assert.equal(second.status, 201);
  assert.equal(await stack.processes.leads.exited(), 86, "leads exited through the chaos hook");
  await stack.processes.leads.start();

  // NATS goes away; the API keeps accepting leads into the outbox, delivered once NATS is back.
  await nats.stop();
  const third = await api(stack, "POST", "/v1/leads", key, { phone: "+1 415 555 0103", name: "Third" });
  assert.equal(third.status, 201);
  await new Promise((r) => setTimeout(r, 1000));
  await nats.restart();
  const fourth = await api(stack, "POST", "/v1/leads", key, { phone: "+1 415 555 0104", name: "Fourth" });
  assert.equal(fourth.status, 201);

  await waitFor("analytics to count four leads", async () => (await leadsCreated()) === 4, 60_000);
  // Nothing arrives twice later, either.
  await new Promise((r) => setTimeout(r, 1500));
  assert.equal(await leadsCreated(), 4);
  const inbox = await db.query<{ n: string }>("select count(*) as n from bus_inbox where consumer = 'analytics-lead-stats'");
  assert.equal(Number(inbox.rows[0]?.n), 4);

  // The republished event of the crashed relay was dropped by JetStream's de-duplication.
  const nc = await connect({ servers: nats.url });
  try {
    const jsm = await jetstreamManager(nc);
    const info = await jsm.streams.info(streamName("leads", options.subjectPrefix!), { subjects_filter: `${options.subjectPrefix}.leads.lead_created.>` });
    assert.equal(info.state.subjects?.[`${options.subjectPrefix}.leads.lead_created.${ws}`], 4);
  } finally {
    await nc.close();
  }
});
