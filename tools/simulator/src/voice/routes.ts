import type { FastifyInstance, FastifyReply } from "fastify";
import type { AssistantStore } from "./assistants";
import type { DialResult, SimCall, VoiceEngine, VoiceProviderName } from "./engine";
import { bolnaAgentWebhookUrl } from "./bolna-agents";
import { retellAgentWebhookUrl } from "./retell-agents";
import { vapiAssistantServer } from "./vapi-assistants";
import { authorised, bearer, obj, str, type Json } from "./wire";

const iso = (d?: Date) => d?.toISOString();
// Bolna reports talk time as fractional seconds.
const seconds = (from?: Date, to?: Date) => (from && to ? (to.getTime() - from.getTime()) / 1000 : 0);

function refusal(reply: FastifyReply, result: Exclude<DialResult, { kind: "placed" }>, render: (status: number, message: string) => Json) {
  const [status, message] =
    result.kind === "capacity"
      ? [429, `Concurrency limit reached (${result.limit} concurrent calls on this account)`]
      : result.kind === "upstream_failure"
        ? [500, result.message]
        : [400, result.message];
  return reply.code(status).send(render(status, message));
}

// Vapi: POST /call, GET /call/{id}; statuses queued → ringing → in-progress → ended.
const VAPI_ENDED: Record<SimCall["outcome"], string> = {
  completed: "customer-ended-call",
  no_answer: "customer-did-not-answer",
  busy: "customer-busy",
  voicemail: "voicemail",
};

export function vapiCall(c: SimCall): Json {
  const ended = c.status === "ended";
  return {
    id: c.id,
    orgId: "org_simulator",
    type: "outboundPhoneCall",
    status: c.status,
    assistantId: c.assistant,
    phoneNumberId: c.from,
    customer: { number: c.to },
    metadata: c.metadata,
    createdAt: iso(c.createdAt),
    updatedAt: iso(c.endedAt ?? c.answeredAt ?? c.ringingAt ?? c.createdAt),
    ...(c.answeredAt ? { startedAt: iso(c.answeredAt) } : {}),
    ...(ended
      ? {
          endedAt: iso(c.endedAt),
          endedReason: VAPI_ENDED[c.outcome],
          cost: c.cost,
          artifact: { transcript: c.transcript, recordingUrl: c.recordingUrl, messages: [] },
          // Vapi's own analysis: Parley keeps it beside its insight.
          analysis: c.answeredAt ? { summary: "The callee talked with the assistant.", successEvaluation: String(c.outcome === "completed") } : {},
        }
      : {}),
  };
}

// Bolna: POST /call → execution id; GET /executions/{id}; the execution is also the webhook body.
export function bolnaStatus(c: SimCall): string {
  if (c.status === "queued") return "queued";
  if (c.status === "ringing") return "ringing";
  if (c.status === "in-progress") return "in-progress";
  return c.outcome === "no_answer" ? "no-answer" : c.outcome === "busy" ? "busy" : "completed";
}

export function bolnaExecution(c: SimCall): Json {
  const talked = seconds(c.answeredAt, c.endedAt);
  return {
    id: c.id,
    agent_id: c.assistant,
    status: bolnaStatus(c),
    conversation_duration: talked,
    total_cost: c.cost,
    transcript: c.transcript,
    extracted_data: null,
    telephony_data: {
      duration: talked,
      recording_url: c.recordingUrl ?? null,
      hangup_reason: c.status !== "ended" ? null : c.outcome === "voicemail" ? "voicemail" : c.outcome === "completed" ? "Call recipient hungup" : c.outcome.replace("_", "-"),
      to_number: c.to,
      from_number: c.from,
    },
    user_data: c.variables,
    created_at: iso(c.createdAt),
    updated_at: iso(c.endedAt ?? c.answeredAt ?? c.ringingAt ?? c.createdAt),
  };
}

/**
 * The execution as Bolna posts it at one stage. At `call-disconnected` the line has dropped but
 * post-processing has not run: no transcript, recording or cost yet.
 */
export function bolnaStage(c: SimCall, status: string): Json {
  const execution: Json = { ...bolnaExecution(c), status };
  if (status !== "call-disconnected") return execution;
  const { total_cost: _cost, ...rest } = execution;
  return { ...rest, transcript: "", telephony_data: { ...obj(execution.telephony_data), recording_url: null } };
}

// Retell: POST /v2/create-phone-call, GET /v2/get-call/{id}; registered → ongoing → ended.
const RETELL_DISCONNECTION: Record<SimCall["outcome"], string> = {
  completed: "user_hangup",
  no_answer: "dial_no_answer",
  busy: "dial_busy",
  voicemail: "voicemail_reached",
};

export function retellCall(c: SimCall): Json {
  const ended = c.status === "ended";
  return {
    call_id: c.id,
    agent_id: c.assistant,
    call_type: "phone_call",
    call_status: ended ? "ended" : c.status === "in-progress" ? "ongoing" : "registered",
    direction: c.direction ?? "outbound",
    from_number: c.from,
    to_number: c.to,
    metadata: c.metadata,
    retell_llm_dynamic_variables: c.variables,
    ...(c.answeredAt ? { start_timestamp: c.answeredAt.getTime() } : {}),
    ...(ended
      ? {
          end_timestamp: c.endedAt!.getTime(),
          duration_ms: c.answeredAt ? c.endedAt!.getTime() - c.answeredAt.getTime() : 0,
          disconnection_reason: RETELL_DISCONNECTION[c.outcome],
          transcript: c.transcript,
          recording_url: c.recordingUrl ?? null,
          call_cost: { combined_cost: Math.round(c.cost * 100) },
        }
      : {}),
  };
}

export function registerVoiceRoutes(app: FastifyInstance, engine: VoiceEngine, assistants: AssistantStore, parleyUrl: string): void {
  const notFound = (provider: VoiceProviderName) => ({ message: `${provider} call not found`, statusCode: 404 });

  app.post("/vapi/call", async (request, reply) => {
    if (!authorised(request, reply, { message: "Invalid Key. Hot tip, you may be using the private key instead of the public key, or vice versa.", statusCode: 401 })) return reply;
    const body = obj(request.body);
    const customer = obj(body.customer);
    const overrides = obj(body.assistantOverrides);
    const server = obj(overrides.server);
    // Like Vapi: server messages go to the call's override server URL, else to the stored assistant's.
    const webhook = str(server.url) ? { url: str(server.url), secret: str(server.secret) || undefined } : vapiAssistantServer(assistants, str(body.assistantId));
    const result = engine.dial("vapi", {
      to: str(customer.number),
      from: str(body.phoneNumberId),
      assistant: str(body.assistantId) || "inline-assistant",
      variables: obj(overrides.variableValues),
      metadata: obj(body.metadata),
      ...(webhook ? { webhook } : {}),
    });
    if (result.kind !== "placed") return refusal(reply, result, (statusCode, message) => ({ message, error: statusCode === 400 ? "Bad Request" : statusCode === 429 ? "Too Many Requests" : "Internal Server Error", statusCode }));
    return reply.code(201).send(vapiCall(result.call));
  });
  app.get<{ Params: { id: string } }>("/vapi/call/:id", async (request, reply) => {
    if (!authorised(request, reply, { message: "Invalid Key", statusCode: 401 })) return reply;
    const call = engine.get("vapi", request.params.id);
    return call ? vapiCall(call) : reply.code(404).send(notFound("vapi"));
  });
  app.delete<{ Params: { id: string } }>("/vapi/call/:id", async (request, reply) => {
    if (!authorised(request, reply, { message: "Invalid Key", statusCode: 401 })) return reply;
    const call = engine.get("vapi", request.params.id);
    if (!call) return reply.code(404).send(notFound("vapi"));
    // Vapi answers with the call as it was deleted; its recording is gone from then on.
    const deleted = vapiCall(call);
    engine.deleteRecording(call);
    return deleted;
  });

  app.post("/bolna/call", async (request, reply) => {
    if (!authorised(request, reply, { message: "Unauthorized" })) return reply;
    const body = obj(request.body);
    const webhookUrl = bolnaAgentWebhookUrl(assistants, str(body.agent_id));
    const result = engine.dial("bolna", {
      to: str(body.recipient_phone_number),
      from: str(body.from_phone_number),
      assistant: str(body.agent_id),
      variables: obj(body.user_data),
      metadata: {},
      // Bolna posts the execution to the agent's webhook URL; an agent without one gets none.
      ...(webhookUrl ? { webhook: { url: webhookUrl } } : {}),
    });
    if (result.kind !== "placed") return refusal(reply, result, (_status, message) => ({ message, status: "error" }));
    return reply.code(200).send({ message: "done", status: "queued", execution_id: result.call.id });
  });
  app.get<{ Params: { id: string } }>("/bolna/executions/:id", async (request, reply) => {
    if (!authorised(request, reply, { message: "Unauthorized" })) return reply;
    const call = engine.get("bolna", request.params.id);
    return call ? bolnaExecution(call) : reply.code(404).send({ message: "execution not found" });
  });

  app.post("/retell/v2/create-phone-call", async (request, reply) => {
    if (!authorised(request, reply, { error_message: "Unauthorized" })) return reply;
    const body = obj(request.body);
    const agentId = str(body.override_agent_id);
    // Retell posts to the agent's webhook URL if it has one, else the account's; either way signed with the API key.
    const webhookUrl = retellAgentWebhookUrl(assistants, agentId) ?? `${parleyUrl.replace(/\/$/, "")}/webhooks/retell`;
    const result = engine.dial("retell", {
      to: str(body.to_number),
      from: str(body.from_number),
      assistant: agentId || "default-agent",
      variables: obj(body.retell_llm_dynamic_variables),
      metadata: obj(body.metadata),
      webhook: { url: webhookUrl, secret: bearer(request) },
    });
    if (result.kind !== "placed") return refusal(reply, result, (_status, message) => ({ error_message: message }));
    return reply.code(201).send(retellCall(result.call));
  });
  // Custom telephony: the tenant's carrier registers an incoming call, then connects it by SIP. The
  // simulator takes the connection as made at once, so the call runs and its webhooks flow.
  app.post("/retell/v2/register-phone-call", async (request, reply) => {
    if (!authorised(request, reply, { error_message: "Unauthorized" })) return reply;
    const body = obj(request.body);
    const agentId = str(body.agent_id);
    if (!agentId) return reply.code(400).send({ error_message: "agent_id is required" });
    const webhookUrl = retellAgentWebhookUrl(assistants, agentId) ?? `${parleyUrl.replace(/\/$/, "")}/webhooks/retell`;
    const result = engine.dial("retell", {
      to: str(body.to_number),
      from: str(body.from_number),
      assistant: agentId,
      variables: obj(body.retell_llm_dynamic_variables),
      metadata: obj(body.metadata),
      webhook: { url: webhookUrl, secret: bearer(request) },
      direction: str(body.direction) === "outbound" ? "outbound" : "inbound",
    });
    if (result.kind !== "placed") return refusal(reply, result, (_status, message) => ({ error_message: message }));
    return reply.code(201).send(retellCall(result.call));
  });
  app.get<{ Params: { id: string } }>("/retell/v2/get-call/:id", async (request, reply) => {
    if (!authorised(request, reply, { error_message: "Unauthorized" })) return reply;
    const call = engine.get("retell", request.params.id);
    return call ? retellCall(call) : reply.code(404).send({ error_message: "call not found" });
  });
  app.delete<{ Params: { call_id: string } }>("/retell/v2/delete-call/:call_id", async (request, reply) => {
    if (!authorised(request, reply, { error_message: "Unauthorized" })) return reply;
    const call = engine.get("retell", request.params.call_id);
    if (!call) return reply.code(404).send({ error_message: "call not found" });
    engine.deleteRecording(call);
    return reply.code(204).send();
  });
}
