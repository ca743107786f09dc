import { test, before } from "node:test";
import assert from "node:assert/strict";
import { busMigrations } from "@parley/bus";
import { createPrisma, migrate } from "@parley/db";
import { ConflictError, NotFoundError, ValidationError } from "@parley/errors";
import { events } from "@parley/proto";
import { cleanup, createTestDatabase } from "@parley/testing";
import { PrismaClient } from "../generated/prisma/client.ts";
import { migrationsDir } from "../app";
import { LeadsDomain } from "./leads";
import { WorkspacesDomain } from "./workspaces";

let db: PrismaClient;
let leads: LeadsDomain;
let workspaces: WorkspacesDomain;

before(async () => {
  const url = await createTestDatabase("leads_domain");
  await migrate(url, [busMigrations, { namespace: "leads", dir: migrationsDir }]);
  db = createPrisma(PrismaClient, url, { max: 4 });
  leads = new LeadsDomain(db);
  workspaces = new WorkspacesDomain(db);
  cleanup(() => db.$disconnect());
});

async function outbox(workspaceId: string) {
  return db.$queryRawUnsafe<{ id: string; subject: string; event_type: string; payload: Buffer }[]>(
    "select id, subject, event_type, payload from bus_outbox where workspace_id = $1 order by seq",
    workspaceId,
  );
}

async function workspace(settings: Record<string, unknown> = {}) {
  return workspaces.create({ name: "Acme", timezone: "Europe/Madrid", settings });
}

test("creating a lead normalises the phone, records the timeline and writes lead_created to the outbox in one transaction", async () => {
  const ws = await workspace();
  const lead = await leads.create({ workspaceId: ws.id, phone: "+1 (415) 555-0123", name: " Ada ", tags: ["VIP", "vip"], source: "api" });
  assert.equal(lead.phone, "+14155550123");
  assert.equal(lead.name, "Ada");
  assert.deepEqual(lead.tags, ["vip"]);
  const rows = await outbox(ws.id);
  assert.deepEqual(rows.map((r) => r.event_type), ["leads.workspace_changed", "leads.lead_created"]);
  const created = events.LeadCreated.decode(rows[1]!.payload);
  assert.equal(created.eventId, rows[1]!.id);
  assert.equal(created.lead?.phone, "+14155550123");
  const timeline = await leads.timeline(ws.id, lead.id, 10);
  assert.deepEqual(timeline.items.map((e) => e.kind), ["lead_created"]);
});

test("the same phone in another format is a conflict carrying the existing lead id, and nothing is emitted", async () => {
  const ws = await workspace();
  const first = await leads.create({ workspaceId: ws.id, phone: "+14155550124", tags: [], source: "api" });
  await assert.rejects(leads.create({ workspaceId: ws.id, phone: "+1 415-555-0124", tags: [], source: "api" }), (err: unknown) => {
    assert.ok(err instanceof ConflictError);
    assert.equal(err.details.existing_lead_id, first.id);
    return true;
  });
  assert.equal((await outbox(ws.id)).filter((r) => r.event_type === "leads.lead_created").length, 1);
});

test("concurrent creates of one phone: exactly one wins, the others get its id", async () => {
  const ws = await workspace();
  const results = await Promise.allSettled(
    Array.from({ length: 6 }, () => leads.create({ workspaceId: ws.id, phone: "+14155550125", tags: [], source: "api" })),
  );
  const won = results.filter((r) => r.status === "fulfilled");
  assert.equal(won.length, 1);
  const winnerId = (won[0] as PromiseFulfilledResult<{ id: string }>).value.id;
  for (const r of results.filter((r) => r.status === "rejected"))
    assert.equal(((r as PromiseRejectedResult).reason as ConflictError).details.existing_lead_id, winnerId);
});

test("national numbers use the workspace's default country; invalid ones name the field", async () => {
  const us = await workspace({ default_country: "US" });
  assert.equal((await leads.create({ workspaceId: us.id, phone: "(415) 555-0126", tags: [], source: "api" })).phone, "+14155550126");
  const plain = await workspace();
  await assert.rejects(leads.create({ workspaceId: plain.id, phone: "555-0126", tags: [], source: "api" }), (err: unknown) => {
    assert.ok(err instanceof ValidationError);
    assert.equal(err.errors[0]?.path, "phone");
    return true;
  });
  await assert.rejects(
    leads.create({ workspaceId: plain.id, phone: "+14155550127", email: "nope", timezone: "Mars/Base", tags: [], source: "api" }),
    (err: unknown) => {
      assert.ok(err instanceof ValidationError);
      assert.deepEqual(err.errors.map((e) => e.path).sort(), ["email", "timezone"]);
      return true;
    },
  );
});

test("another workspace's lead is not found, for every operation", async () => {
  const a = await workspace();
  const b = await workspace();
  const lead = await leads.create({ workspaceId: a.id, phone: "+14155550128", tags: [], source: "api" });
  await assert.rejects(leads.get(b.id, lead.id), NotFoundError);
  await assert.rejects(leads.update({ workspaceId: b.id, leadId: lead.id, name: "x", clearFields: [] }), NotFoundError);
  await assert.rejects(leads.delete(b.id, lead.id), NotFoundError);
  await assert.rejects(leads.optOut(b.id, lead.id, [], "", "api"), NotFoundError);
  await assert.rejects(leads.timeline(b.id, lead.id, 10), NotFoundError);
});

test("updates merge metadata, track status changes and emit the changed fields; a no-op emits nothing", async () => {
  const ws = await workspace();
  const lead = await leads.create({ workspaceId: ws.id, phone: "+14155550129", metadata: { a: 1 }, tags: [], source: "api" });
  const updated = await leads.update({ workspaceId: ws.id, leadId: lead.id, status: "qualified", metadata: { b: 2 }, clearFields: [] });
  assert.deepEqual(updated.metadata, { a: 1, b: 2 });
  await leads.update({ workspaceId: ws.id, leadId: lead.id, status: "qualified", clearFields: [] });
  const updates = (await outbox(ws.id)).filter((r) => r.event_type === "leads.lead_updated");
  assert.equal(updates.length, 1);
  assert.deepEqual(events.LeadUpdated.decode(updates[0]!.payload).changedFields.sort(), ["metadata", "status"]);
  const kinds = (await leads.timeline(ws.id, lead.id, 10)).items.map((e) => e.kind);
  assert.deepEqual(kinds, ["lead_created", "status_changed", "lead_updated"]);
  await assert.rejects(leads.update({ workspaceId: ws.id, leadId: lead.id, status: "bogus", clearFields: [] }), ValidationError);
});

test("lists page by cursor, newest first, with filters", async () => {
  const ws = await workspace();
  for (let i = 0; i < 5; i++)
    await leads.create({ workspaceId: ws.id, phone: `+1415555014${i}`, name: `Lead ${i}`, tags: i % 2 ? ["odd"] : [], source: "api" });
  const first = await leads.list({ workspaceId: ws.id, limit: 2 });
  const second = await leads.list({ workspaceId: ws.id, limit: 2, cursor: first.nextCursor });
  const third = await leads.list({ workspaceId: ws.id, limit: 2, cursor: second.nextCursor });
  assert.deepEqual([...first.items, ...second.items, ...third.items].map((l) => l.name), ["Lead 4", "Lead 3", "Lead 2", "Lead 1", "Lead 0"]);
  assert.equal(third.nextCursor, "");
  assert.deepEqual((await leads.list({ workspaceId: ws.id, limit: 10, tag: "odd" })).items.map((l) => l.name), ["Lead 3", "Lead 1"]);
  assert.deepEqual((await leads.list({ workspaceId: ws.id, limit: 10, query: "lead 2" })).items.length, 1);
  await assert.rejects(leads.list({ workspaceId: ws.id, limit: 10, cursor: "garbage" }), ValidationError);
});

test("opt-outs append to the ledger once per channel, outlive the lead, and a re-created lead stays opted out", async () => {
  const ws = await workspace();
  const lead = await leads.create({ workspaceId: ws.id, phone: "+14155550150", tags: [], source: "api" });
  const out = await leads.optOut(ws.id, lead.id, ["whatsapp"], "said STOP", "whatsapp_message");
  assert.equal(out.optedOutWhatsapp, true);
  assert.equal(out.optedOutVoice, false);
  await Promise.all([leads.optOut(ws.id, lead.id, [], "asked", "api"), leads.optOut(ws.id, lead.id, [], "asked", "api")]);
  const optOutEvents = (await outbox(ws.id)).filter((r) => r.event_type === "leads.lead_opted_out").map((r) => events.LeadOptedOut.decode(r.payload).channels);
  assert.deepEqual(optOutEvents, [["whatsapp"], ["voice"]]);
  assert.deepEqual(await leads.consent(ws.id, lead.id, "voice"), { allowed: false, reason: "lead opted out of voice" });
  await leads.delete(ws.id, lead.id);
  const again = await leads.create({ workspaceId: ws.id, phone: "+14155550150", tags: [], source: "api" });
  assert.equal(again.optedOutVoice, true);
  assert.equal(again.optedOutWhatsapp, true);
});

test("workspace profile and settings are validated by schema and merged on update", async () => {
  await assert.rejects(workspaces.create({ name: "x", timezone: "UTC", settings: { calling_hours: { start: "18:00", end: "09:00" } } }), (err: unknown) => {
    assert.ok(err instanceof ValidationError);
    assert.equal(err.errors[0]?.path, "settings.calling_hours");
    return true;
  });
  await assert.rejects(
    workspaces.create({ name: "x", timezone: "UTC", profile: { qualification: [{ key: "budget", question: "Budget?", type: "enum" }] } }),
    ValidationError,
  );
  await assert.rejects(workspaces.create({ name: "x", timezone: "UTC", settings: { surprise: true } }), ValidationError);
  const ws = await workspaces.create({ name: "x", timezone: "UTC", profile: { persona: "Sam" } });
  const updated = await workspaces.update({ workspaceId: ws.id, settings: { retention_days: 30 }, profile: { offer: "Solar" } });
  assert.equal((updated.settings as { retention_days: number }).retention_days, 30);
  assert.deepEqual([(updated.profile as { persona: string }).persona, (updated.profile as { offer: string }).offer], ["Sam", "Solar"]);
  const member = await workspaces.addMember(ws.id, "Owner@Example.com", "Olive", "owner");
  assert.equal(member.email, "owner@example.com");
  await assert.rejects(workspaces.addMember(ws.id, "owner@example.com", "Olive", "admin"), ConflictError);
});
