// The REST shapes of API.md as JSON Schema: they validate requests, serialise responses and are the
// OpenAPI document.
import { Type, type TSchema } from "typebox";
import { SCOPES } from "../auth/scopes";

const FreeObject = (description: string) => Type.Object({}, { additionalProperties: true, description });
export const Nullable = <T extends TSchema>(schema: T) => Type.Union([schema, Type.Null()]);
export const Timestamp = Type.String({ format: "date-time" });

export const ProblemSchema = Type.Object(
  {
    type: Type.String(),
    title: Type.String(),
    status: Type.Integer(),
    detail: Type.String(),
    errors: Type.Optional(Type.Array(Type.Object({ path: Type.String(), message: Type.String() }))),
  },
  { additionalProperties: true, $id: "Problem", description: "RFC 9457 problem details" },
);

export const problemResponses = (...statuses: number[]) =>
  Object.fromEntries(statuses.map((s) => [s, { ...Type.Ref("Problem"), description: `problem+json (${s})` }]));

export const ScopeSchema = Type.Union(SCOPES.map((s) => Type.Literal(s)));

export const WorkspaceSchema = Type.Object(
  {
    id: Type.String({ examples: ["ws_01JD8V6Q2Z3X4Y5W6V7U8T9S0R"] }),
    name: Type.String(),
    timezone: Type.String({ examples: ["Europe/Madrid"] }),
    profile: FreeObject("persona, offer, pricing, qualification criteria"),
    settings: FreeObject("default_channel, timezone, calling_hours, days, retention_days, max_concurrency, auto_call_new_leads"),
    created_at: Timestamp,
    updated_at: Timestamp,
  },
  { $id: "Workspace" },
);

const ApiKeyFields = {
  id: Type.String(),
  name: Type.String(),
  scopes: Type.Array(Type.String()),
  prefix: Type.String({ description: "The secret's first characters, to recognise a key" }),
  created_at: Timestamp,
  last_used_at: Nullable(Timestamp),
  revoked_at: Nullable(Timestamp),
};
export const ApiKeySchema = Type.Object(ApiKeyFields, { $id: "ApiKey" });
export const NewApiKeySchema = Type.Object({ ...ApiKeyFields, secret: Type.String({ description: "Shown once; store it now" }) }, { $id: "NewApiKey" });

export const LeadSchema = Type.Object(
  {
    id: Type.String({ examples: ["ld_01JD8V6Q2Z3X4Y5W6V7U8T9S0R"] }),
    phone: Type.String({ description: "E.164", examples: ["+14155550123"] }),
    name: Nullable(Type.String()),
    email: Nullable(Type.String()),
    business_name: Nullable(Type.String()),
    timezone: Nullable(Type.String()),
    status: Type.String(),
    tags: Type.Array(Type.String()),
    metadata: FreeObject("any extra fields"),
    form_responses: FreeObject("answers from a lead form"),
    opted_out: Type.Object({ voice: Type.Boolean(), whatsapp: Type.Boolean() }),
    source: Type.String(),
    created_at: Timestamp,
    updated_at: Timestamp,
  },
  { $id: "Lead" },
);

export const TimelineEntrySchema = Type.Object(
  {
    id: Type.String(),
    kind: Type.String({ examples: ["lead_created", "status_changed", "opted_out"] }),
    summary: Type.String(),
    data: FreeObject("details of the entry"),
    occurred_at: Timestamp,
  },
  { $id: "TimelineEntry" },
);

export const LeadWithTimelineSchema = Type.Object(
  { ...LeadSchema.properties, timeline: Type.Array(Type.Ref("TimelineEntry"), { description: "The most recent entries; page with /timeline" }) },
  { $id: "LeadWithTimeline" },
);

export const CallSchema = Type.Object(
  {
    id: Type.String(),
    lead_id: Type.String(),
    direction: Type.String({ description: "outbound | inbound" }),
    campaign_id: Nullable(Type.String()),
    assistant_id: Type.String(),
    provider: Type.String(),
    provider_call_id: Nullable(Type.String()),
    status: Type.String({ description: "queued | ringing | in_progress | ended" }),
    ended_reason: Nullable(Type.String({ description: "completed | no_answer | busy | voicemail | failed | canceled" })),
    to: Type.String(),
    started_at: Nullable(Timestamp),
    answered_at: Nullable(Timestamp),
    ended_at: Nullable(Timestamp),
    duration_seconds: Nullable(Type.Integer()),
    transcript: Nullable(Type.String()),
    recording_url: Nullable(Type.String()),
    cost: Nullable(Type.Number()),
    insights: Type.Optional(
      Nullable(
        Type.Object(
          {
            status: Type.String({ description: "pending | running | succeeded | skipped | failed" }),
            reason: Nullable(Type.String({ description: "why skipped or failed" })),
            summary: Nullable(Type.String()),
            sentiment: Nullable(Type.String({ description: "positive | neutral | negative" })),
            outcome: Nullable(Type.String({ description: "meeting_booked | interested | callback_requested | not_interested | wrong_number | voicemail | do_not_call | no_conversation" })),
            interest_level: Nullable(Type.String()),
            objections: Type.Array(Type.String()),
            meeting_time: Nullable(Type.String()),
            next_action: Nullable(Type.String()),
            language: Nullable(Type.String()),
            qualification: Type.Object({}, { additionalProperties: true, description: "the workspace's qualification answers, by criterion key" }),
            provider_analysis: Nullable(Type.Object({}, { additionalProperties: true })),
            prompt_version: Nullable(Type.String()),
            model: Nullable(Type.String()),
            tokens: Type.Object({ prompt: Type.Integer(), completion: Type.Integer() }),
            llm_cost: Type.Number({ description: "USD" }),
            updated_at: Nullable(Timestamp),
          },
          { description: "post-call analysis; GET /v1/calls/{id} only (null until the call has ended)" },
        ),
      ),
    ),
    error: Nullable(Type.String()),
  },
  { $id: "Call" },
);

/** POST /v1/leads?call=now: the lead and the call placed to it. */
export const LeadWithCallSchema = Type.Object({ ...LeadSchema.properties, call: Type.Optional(Type.Ref("Call")) }, { $id: "LeadWithCall" });

export const ConversationSchema = Type.Object(
  {
    id: Type.String(),
    lead_id: Type.String(),
    provider: Type.String({ description: "twilio | meta" }),
    customer: Type.String({ description: "the lead's WhatsApp number, E.164" }),
    window_expires_at: Nullable(Timestamp),
    last_message_at: Timestamp,
    handed_off_at: Nullable(Timestamp),
    qualification: Type.Object({}, { additionalProperties: true, description: "what the agent recorded, by criterion key" }),
    created_at: Timestamp,
  },
  { $id: "Conversation", description: "free text may be sent until window_expires_at (24 hours after the lead last wrote); after it, only templates" },
);

export const MessageSchema = Type.Object(
  {
    id: Type.String(),
    conversation_id: Type.String(),
    lead_id: Type.String(),
    direction: Type.String({ description: "inbound | outbound" }),
    text: Type.String(),
    template: Nullable(Type.Object({}, { additionalProperties: true, description: "{ name, language, variables } for a template message" })),
    status: Type.String({ description: "received | pending | sending | queued | sent | delivered | read | failed" }),
    error_code: Nullable(Type.String({ description: "the provider's code (63016, 131047, 21610, …) or opted_out" })),
    origin: Type.String({ description: "lead | agent | api | broadcast | follow_up" }),
    created_at: Timestamp,
    updated_at: Timestamp,
  },
  { $id: "Message" },
);

export const sharedSchemas = [ProblemSchema, WorkspaceSchema, ApiKeySchema, NewApiKeySchema, LeadSchema, TimelineEntrySchema, LeadWithTimelineSchema, CallSchema, LeadWithCallSchema, ConversationSchema, MessageSchema];

export const page = <T extends TSchema>(item: T) =>
  Type.Object({ data: Type.Array(item), next_cursor: Nullable(Type.String({ description: "Pass as ?cursor= for the next page" })) });

export const PageQuery = {
  limit: Type.Integer({ minimum: 1, maximum: 200, default: 50 }),
  cursor: Type.Optional(Type.String({ minLength: 1, maxLength: 512 })),
};

export const IdParams = Type.Object({ id: Type.String({ minLength: 1, maxLength: 64 }) });

export const LeadInputFields = {
  name: Type.String({ maxLength: 200 }),
  email: Type.String({ format: "email", maxLength: 320 }),
  business_name: Type.String({ maxLength: 200 }),
  timezone: Type.String({ maxLength: 64, examples: ["America/New_York"] }),
  tags: Type.Array(Type.String({ minLength: 1, maxLength: 64 }), { maxItems: 50 }),
  metadata: FreeObject("any extra fields; merged on update"),
  form_responses: FreeObject("answers from a lead form; merged on update"),
};
