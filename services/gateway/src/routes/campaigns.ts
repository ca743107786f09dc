import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import type { TypeBoxTypeProvider } from "@fastify/type-provider-typebox";
import { Type } from "typebox";
import { isDomainError, ValidationError } from "@parley/errors";
import type { voiceV1 } from "@parley/proto";
import { workspaceOf } from "../http/principal";
import { IdParams, Nullable, page, PageQuery, problemResponses, Timestamp } from "../http/schemas";
import type { RouteDeps } from "./deps";

const iso = (d?: Date) => d?.toISOString() ?? null;
const STATUSES = ["draft", "running", "paused", "completed", "cancelled"] as const;
const FINISHED = new Set(["completed", "cancelled"]);

const hhmm = Type.String({ pattern: "^(([01]\\d|2[0-3]):[0-5]\\d|24:00)$", description: "HH:MM, 24-hour; 24:00 as an end" });
const Weekday = Type.Union(["mon", "tue", "wed", "thu", "fri", "sat", "sun"].map((d) => Type.Literal(d)));
const ScheduleSchema = Type.Object(
  {
    timezone: Type.Optional(Type.String({ minLength: 1, maxLength: 64, description: "for leads whose own zone (or phone country) is unknown; else the workspace's" })),
    calling_hours: Type.Optional(Type.Object({ start: hhmm, end: hhmm }, { additionalProperties: false })),
    days: Type.Optional(Type.Array(Weekday, { minItems: 1, maxItems: 7 })),
  },
  { additionalProperties: false, description: "read in each lead's local time; missing parts come from the workspace settings" },
);
const RetryRule = Type.Object(
  { max_attempts: Type.Integer({ minimum: 1, maximum: 10, description: "attempts in all, the first included" }), delay_minutes: Type.Number({ minimum: 0, maximum: 10080 }) },
  { additionalProperties: false },
);
const RetryPolicySchema = Type.Object(
  {
    no_answer: Type.Optional(RetryRule),
    busy: Type.Optional(RetryRule),
    voicemail: Type.Optional(RetryRule),
    failed: Type.Optional(RetryRule),
    backoff: Type.Optional(Type.Number({ minimum: 1, maximum: 10, description: "each retry waits this many times longer than the one before" })),
    jitter: Type.Optional(Type.Number({ minimum: 0, maximum: 1, description: "± share of the delay, drawn at random" })),
  },
  { additionalProperties: false, description: "per outcome; defaults: no_answer 3×60 min, busy 3×15 min, voicemail 2×240 min, failed 2×30 min, backoff 2, jitter 0.2" },
);
const LeadFilterSchema = Type.Object(
  { status: Type.Optional(Type.String({ minLength: 1, maxLength: 64 })), tag: Type.Optional(Type.String({ minLength: 1, maxLength: 64 })), q: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })) },
  { additionalProperties: false },
);
const LeadIds = Type.Array(Type.String({ minLength: 1, maxLength: 64 }), { maxItems: 10_000 });

const Count = Type.Integer({ minimum: 0 });
const CampaignSchema = Type.Object({
  id: Type.String(),
  name: Type.String(),
  status: Type.String({ description: STATUSES.join(" | ") }),
  assistant_id: Type.String(),
  schedule: Type.Object({}, { additionalProperties: true }),
  max_concurrency: Nullable(Type.Integer()),
  retry_policy: Type.Object({}, { additionalProperties: true }),
  progress: Type.Object({
    total: Count,
    queued: Count,
    dialing: Count,
    in_progress: Count,
    completed: Count,
    failed: Count,
    cancelled: Count,
    by_outcome: Type.Record(Type.String(), Count),
    calls: Count,
  }),
  paused_reason: Nullable(Type.String()),
  created_at: Nullable(Timestamp),
  updated_at: Nullable(Timestamp),
  started_at: Nullable(Timestamp),
  finished_at: Nullable(Timestamp),
});

export function campaignJson(c: voiceV1.Campaign) {
  const p = c.progress!;
  return {
    id: c.id,
    name: c.name,
    status: c.status,
    assistant_id: c.assistantId,
    schedule: c.schedule ?? {},
    max_concurrency: c.maxConcurrency || null,
    retry_policy: c.retryPolicy ?? {},
    progress: { total: p.total, queued: p.queued, dialing: p.dialing, in_progress: p.inProgress, completed: p.completed, failed: p.failed, cancelled: p.cancelled, by_outcome: p.byOutcome, calls: p.calls },
    paused_reason: c.pausedReason || null,
    created_at: iso(c.createdAt),
    updated_at: iso(c.updatedAt),
    started_at: iso(c.startedAt),
    finished_at: iso(c.finishedAt),
  };
}

const filterOf = (f?: { status?: string; tag?: string; q?: string }): voiceV1.LeadFilter | undefined => (f ? { status: f.status, tag: f.tag, query: f.q } : undefined);

export interface CampaignRouteOptions {
  /** How often a progress stream reads the campaign. */
  eventsIntervalMs: number;
  /** A comment line this often keeps proxies from closing a quiet stream. */
  heartbeatMs: number;
}

/** Campaigns: the dialer's work, owned by voice. */
export function campaignRoutes(root: FastifyInstance, { voice, voiceSignals }: RouteDeps, options: CampaignRouteOptions): void {
  const app = root.withTypeProvider<TypeBoxTypeProvider>();
  const tags = ["campaigns"];
  const streams = new Set<() => void>();
  // Open streams would hold the server's close forever: they end first, and clients reconnect.
  root.addHook("preClose", async () => {
    for (const end of streams) end();
  });

  app.post(
    "/v1/campaigns",
    {
      config: { scope: "campaigns:write" },
      schema: {
        tags,
        summary: "Create a campaign (a draft): an assistant, its leads by ids and/or a filter, a schedule, caps and a retry policy",
        description:
          "Leads are queued at once, each due at the next opening of the calling hours in its own time zone (else its phone number's country's — all of that country's zones when it has several — else the schedule's or the workspace's). Start it with POST /v1/campaigns/{id}/start. More leads can be added while it is a draft, running or paused; large lists are best imported with POST /v1/leads/imports?campaign_id=.",
        body: Type.Object(
          {
            name: Type.String({ minLength: 1, maxLength: 200 }),
            assistant_id: Type.Optional(Type.String({ minLength: 1, maxLength: 200, description: "the workspace's default assistant when omitted" })),
            lead_ids: Type.Optional(LeadIds),
            lead_filter: Type.Optional(LeadFilterSchema),
            schedule: Type.Optional(ScheduleSchema),
            max_concurrency: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000, description: "live calls of this campaign at most, under the workspace's and the provider account's caps" })),
            retry_policy: Type.Optional(RetryPolicySchema),
          },
          { additionalProperties: false },
        ),
        response: { 201: CampaignSchema, ...problemResponses(400, 401, 403, 422, 503) },
      },
    },
    async (request, reply) => {
      const b = request.body;
      const { campaign } = await voice.createCampaign({
        workspaceId: workspaceOf(request.principal),
        name: b.name,
        assistantId: b.assistant_id ?? "",
        leadIds: b.lead_ids ?? [],
        leadFilter: filterOf(b.lead_filter),
        schedule: b.schedule ?? {},
        maxConcurrency: b.max_concurrency ?? 0,
        retryPolicy: b.retry_policy ?? {},
      });
      return reply.code(201).header("location", `/v1/campaigns/${campaign!.id}`).send(campaignJson(campaign!));
    },
  );

  app.get(
    "/v1/campaigns",
    {
      config: { scope: "calls:read" },
      schema: {
        tags,
        summary: "List campaigns, newest first",
        querystring: Type.Object({ ...PageQuery, status: Type.Optional(Type.Union(STATUSES.map((s) => Type.Literal(s)))) }),
        response: { 200: page(CampaignSchema), ...problemResponses(400, 401, 403) },
      },
    },
    async (request) => {
      const q = request.query;
      const res = await voice.listCampaigns({ workspaceId: workspaceOf(request.principal), status: q.status ?? "", limit: q.limit, cursor: q.cursor ?? "" });
      return { data: res.campaigns.map(campaignJson), next_cursor: res.nextCursor || null };
    },
  );

  app.get(
    "/v1/campaigns/:id",
    {
      config: { scope: "calls:read" },
      schema: { tags, summary: "A campaign's state and progress, by call state and by final outcome", params: IdParams, response: { 200: CampaignSchema, ...problemResponses(401, 403, 404) } },
    },
    async (request) => campaignJson((await voice.getCampaign({ workspaceId: workspaceOf(request.principal), campaignId: request.params.id })).campaign!),
  );

  app.get(
    "/v1/campaigns/:id/leads",
    {
      config: { scope: "calls:read" },
      schema: {
        tags,
        summary: "The campaign's leads in queue order: state, attempts, outcomes, and when a queued lead's next attempt is due",
        params: IdParams,
        querystring: Type.Object({ ...PageQuery, state: Type.Optional(Type.Union(["queued", "calling", "done", "cancelled"].map((s) => Type.Literal(s)))) }),
        response: {
          200: page(
            Type.Object({
              lead_id: Type.String(),
              state: Type.String({ description: "queued | calling | done | cancelled" }),
              attempts: Count,
              last_outcome: Nullable(Type.String()),
              final_outcome: Nullable(Type.String({ description: "completed, no_answer, busy, voicemail, failed, canceled, opted_out, lead_deleted, no_calling_window or cancelled" })),
              due_at: Nullable(Timestamp),
              call_id: Nullable(Type.String({ description: "the call under way, or the last call of a lead that is done" })),
              updated_at: Nullable(Timestamp),
            }),
          ),
          ...problemResponses(400, 401, 403, 404),
        },
      },
    },
    async (request) => {
      const q = request.query;
      const res = await voice.listCampaignLeads({ workspaceId: workspaceOf(request.principal), campaignId: request.params.id, state: q.state ?? "", limit: q.limit, cursor: q.cursor ?? "" });
      return {
        data: res.leads.map((l) => ({
          lead_id: l.leadId,
          state: l.state,
          attempts: l.attempts,
          last_outcome: l.lastOutcome || null,
          final_outcome: l.finalOutcome || null,
          due_at: iso(l.dueAt),
          call_id: l.callId || null,
          updated_at: iso(l.updatedAt),
        })),
        next_cursor: res.nextCursor || null,
      };
    },
  );

  app.post(
    "/v1/campaigns/:id/leads",
    {
      config: { scope: "campaigns:write" },
      schema: {
        tags,
        summary: "Append leads to a draft, running or paused campaign; a lead already in it is not queued twice",
        params: IdParams,
        body: Type.Object({ lead_ids: Type.Optional(LeadIds), lead_filter: Type.Optional(LeadFilterSchema) }, { additionalProperties: false }),
        response: {
          200: Type.Object({ added: Count, already_queued: Count, not_found: Type.Array(Type.String()), campaign: CampaignSchema }),
          ...problemResponses(400, 401, 403, 404, 409, 422, 503),
        },
      },
    },
    async (request) => {
      const b = request.body;
      if (!b.lead_ids?.length && !b.lead_filter) throw new ValidationError("name the leads to add", [{ path: "body", message: "give lead_ids or lead_filter" }]);
      const res = await voice.addCampaignLeads({ workspaceId: workspaceOf(request.principal), campaignId: request.params.id, leadIds: b.lead_ids ?? [], leadFilter: filterOf(b.lead_filter) });
      return { added: res.added, already_queued: res.alreadyQueued, not_found: res.notFound, campaign: campaignJson(res.campaign!) };
    },
  );

  const lifecycle: Record<string, string> = {
    start: "Start dialing a draft campaign",
    pause: "Pause: no new dials; live calls finish, and retries wait",
    resume: "Resume a paused campaign (also one paused automatically after a spike of provider failures)",
    cancel: "Cancel: queued leads are dropped; live calls finish",
  };
  for (const [action, summary] of Object.entries(lifecycle)) {
    app.post(
      `/v1/campaigns/:id/${action}`,
      {
        config: { scope: "campaigns:write" },
        schema: {
          tags,
          summary,
          description: "Repeating an action in the state it leads to changes nothing; a move the state does not allow is 409 (for example resuming a completed campaign).",
          params: IdParams,
          response: { 200: CampaignSchema, ...problemResponses(401, 403, 404, 409, 503) },
        },
      },
      async (request) => campaignJson((await voice.changeCampaignStatus({ workspaceId: workspaceOf(request.principal), campaignId: request.params.id, action })).campaign!),
    );
  }

  app.get(
    "/v1/campaigns/:id/events",
    {
      config: { scope: "calls:read" },
      schema: {
        tags,
        summary: "Live progress as Server-Sent Events",
        description:
          "`event: campaign` with the campaign (as GET /v1/campaigns/{id}) first and whenever it changes; the stream ends with `event: end` once the campaign is completed or cancelled. A comment line is sent every 15 s while nothing changes.",
        params: IdParams,
        response: { 200: Type.String({ description: "text/event-stream" }), ...problemResponses(401, 403, 404) },
      },
    },
    async (request, reply) => {
      const workspaceId = workspaceOf(request.principal);
      // Read before the stream opens, so an unknown id is an ordinary 404.
      const first = (await voice.getCampaign({ workspaceId, campaignId: request.params.id })).campaign!;
      const read = () => voice.getCampaign({ workspaceId, campaignId: request.params.id }).then((r) => r.campaign!);
      streamCampaign(request, reply, { first, read, watch: (onSignal) => voiceSignals(workspaceId, onSignal) }, options, streams);
    },
  );
}

interface CampaignSource {
  first: voiceV1.Campaign;
  read: () => Promise<voiceV1.Campaign>;
  /** Calls back when the campaign may have changed; returns the unsubscribe. */
  watch: (onSignal: () => void) => () => void;
}

/**
 * Sends the campaign whenever it changed: read after each voice event of its workspace (a few
 * milliseconds apart at most, coalesced) and on a timer, which also covers a missed signal.
 */
function streamCampaign(request: FastifyRequest, reply: FastifyReply, { first, read, watch }: CampaignSource, options: CampaignRouteOptions, streams: Set<() => void>): void {
  reply.hijack();
  const res = reply.raw;
  res.writeHead(200, { "content-type": "text/event-stream; charset=utf-8", "cache-control": "no-cache, no-transform", connection: "keep-alive", "x-accel-buffering": "no" });
  let seq = 0;
  let last = "";
  let lastWrite = Date.now();
  let closed = false;
  let reading = false;
  let signalled = false;
  let timer: NodeJS.Timeout | undefined;
  const send = (event: string, data: unknown) => {
    res.write(`id: ${++seq}\nevent: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
    lastWrite = Date.now();
  };
  /** Sends the campaign if it changed; true once it is finished and the stream is over. */
  const publish = (campaign: voiceV1.Campaign): boolean => {
    const body = campaignJson(campaign);
    const text = JSON.stringify(body);
    if (text !== last) {
      last = text;
      send("campaign", body);
    }
    if (!FINISHED.has(campaign.status)) return false;
    send("end", { status: campaign.status });
    return true;
  };
  const close = () => {
    closed = true;
    clearTimeout(timer);
    unwatch();
    streams.delete(end);
  };
  const end = () => {
    close();
    res.end();
  };
  const refresh = async () => {
    clearTimeout(timer);
    if (closed) return;
    if (reading) {
      signalled = true;
      return;
    }
    reading = true;
    signalled = false;
    try {
      if (publish(await read())) return end();
    } catch (err) {
      if (isDomainError(err) && err.kind === "not_found") {
        send("end", { status: "deleted" });
        return end();
      }
      request.log.warn({ err }, "campaign progress stream cannot read the campaign; trying again");
    } finally {
      reading = false;
    }
    if (Date.now() - lastWrite >= options.heartbeatMs) {
      res.write(": keep-alive\n\n");
      lastWrite = Date.now();
    }
    if (closed) return;
    if (signalled) return void refresh();
    timer = setTimeout(() => void refresh(), options.eventsIntervalMs);
  };
  const unwatch = watch(() => void refresh());
  streams.add(end);
  request.raw.on("close", close);
  if (publish(first)) return end();
  timer = setTimeout(() => void refresh(), options.eventsIntervalMs);
}
