import { ConflictError, DomainError, NotFoundError, PreconditionError, ValidationError } from "@parley/errors";
import { newId } from "@parley/ids";
import type { Logger } from "@parley/logger";
import type { voiceV1 } from "@parley/proto";
import type { PhoneNumber, PrismaClient } from "../generated/prisma/client.ts";
import type { AssistantsDomain } from "../assistants/assistants";
import type { CallsDomain, LeadsClient, ProviderResolver } from "../domain/calls";
import { RetellProvider } from "../providers/retell";
import { profileVariables } from "../domain/profile-variables";
import { VOICE_PROVIDER_KINDS, type VoiceProviderKind } from "../providers/port";

const E164 = /^\+[1-9]\d{6,14}$/;
const toMessage = (p: PhoneNumber): voiceV1.PhoneNumber => ({ number: p.number, provider: p.provider, assistantId: p.assistantId, createdAt: p.createdAt });

export interface InboundDeps {
  db: PrismaClient;
  leads: LeadsClient;
  assistants: AssistantsDomain;
  calls: CallsDomain;
  providers: ProviderResolver;
  /** Where Retell takes custom-telephony calls by SIP: sip:<call id>@<domain>. */
  retellSipDomain: string;
  logger: Logger;
}

/** The caller's lead: the existing one for this phone, or a new one (source voice). */
async function callerLead(leads: LeadsClient, workspaceId: string, phone: string): Promise<string> {
  try {
    return (await leads.createLead({ workspaceId, phone, tags: [], source: "voice" })).lead!.id;
  } catch (err) {
    const existing = err instanceof DomainError && err.kind === "already_exists" ? err.details.existing_lead_id : undefined;
    if (typeof existing === "string") return existing;
    throw err;
  }
}

export function inboundRpcs({ db, leads, assistants, calls, providers, retellSipDomain, logger }: InboundDeps) {
  return {
    async putPhoneNumber(req: voiceV1.PutPhoneNumberRequest): Promise<voiceV1.PutPhoneNumberResponse> {
      const errors = [
        ...(E164.test(req.number) ? [] : [{ path: "number", message: "must be an E.164 number, e.g. +14155550100" }]),
        ...((VOICE_PROVIDER_KINDS as readonly string[]).includes(req.provider) ? [] : [{ path: "provider", message: `must be one of ${VOICE_PROVIDER_KINDS.join(", ")}` }]),
        ...(req.assistantId ? [] : [{ path: "assistant_id", message: "is required" }]),
      ];
      if (errors.length) throw new ValidationError("invalid phone number", errors);
      const assistant = await assistants.forCall(req.workspaceId, req.assistantId);
      if (assistant?.provider && assistant.provider !== req.provider) {
        throw new ValidationError("the assistant belongs to another provider", [{ path: "assistant_id", message: `is a ${assistant.provider} assistant; the number is on ${req.provider}` }]);
      }
      const existing = await db.phoneNumber.findUnique({ where: { number: req.number } });
      // A number answers for one workspace; another tenant's number is not revealed beyond "taken".
      if (existing && existing.workspaceId !== req.workspaceId) throw new ConflictError("this number is registered to another workspace");
      const saved = await db.phoneNumber.upsert({
        where: { number: req.number },
        create: { number: req.number, workspaceId: req.workspaceId, provider: req.provider, assistantId: req.assistantId },
        update: { provider: req.provider, assistantId: req.assistantId, updatedAt: new Date() },
      });
      return { phoneNumber: toMessage(saved) };
    },
    async listPhoneNumbers(req: voiceV1.ListPhoneNumbersRequest): Promise<voiceV1.ListPhoneNumbersResponse> {
      return { phoneNumbers: (await db.phoneNumber.findMany({ where: { workspaceId: req.workspaceId }, orderBy: { number: "asc" } })).map(toMessage) };
    },
    async deletePhoneNumber(req: voiceV1.DeletePhoneNumberRequest): Promise<voiceV1.DeletePhoneNumberResponse> {
      const { count } = await db.phoneNumber.deleteMany({ where: { number: req.number, workspaceId: req.workspaceId } });
      if (!count) throw new NotFoundError("phone number", req.number);
      return {};
    },
    async resolveInbound(req: voiceV1.ResolveInboundRequest): Promise<voiceV1.ResolveInboundResponse> {
      const found = await db.phoneNumber.findUnique({ where: { number: req.calledNumber } });
      return { workspaceId: found?.workspaceId ?? "" };
    },
    async answerInbound(req: voiceV1.AnswerInboundRequest): Promise<voiceV1.AnswerInboundResponse> {
      const number = await db.phoneNumber.findFirst({ where: { number: req.calledNumber, workspaceId: req.workspaceId } });
      if (!number) throw new NotFoundError("phone number", req.calledNumber);
      const [{ workspace }, assistant] = await Promise.all([leads.getWorkspace({ workspaceId: req.workspaceId }), assistants.forCall(req.workspaceId, number.assistantId)]);
      const chosen = assistant ?? { assistantId: number.assistantId, providerAssistantId: number.assistantId };
      if (req.providerCallId && req.callerNumber) {
        // The caller is answered even if the record fails: a missed history beats a missed call.
        try {
          const leadId = await callerLead(leads, req.workspaceId, req.callerNumber);
          await calls.recordInbound({ workspaceId: req.workspaceId, leadId, provider: number.provider as VoiceProviderKind, providerCallId: req.providerCallId, calledNumber: req.calledNumber, assistant: chosen });
        } catch (err) {
          logger.error({ err, workspace_id: req.workspaceId, provider_call_id: req.providerCallId }, "inbound call not recorded");
        }
      }
      return { assistantId: chosen.providerAssistantId, variables: { ...profileVariables(workspace!), caller_number: req.callerNumber } };
    },
    async connectInbound(req: voiceV1.ConnectInboundRequest): Promise<voiceV1.ConnectInboundResponse> {
      const number = await db.phoneNumber.findFirst({ where: { number: req.calledNumber, workspaceId: req.workspaceId } });
      if (!number) throw new NotFoundError("phone number", req.calledNumber);
      if (number.provider !== "retell") throw new PreconditionError(`${req.calledNumber} is answered by ${number.provider}, not through Twilio`, { provider: number.provider });
      const [{ workspace }, assistant, provider] = await Promise.all([
        leads.getWorkspace({ workspaceId: req.workspaceId }),
        assistants.forCall(req.workspaceId, number.assistantId),
        providers.forCall(req.workspaceId, "retell"),
      ]);
      const chosen = assistant ?? { assistantId: number.assistantId, providerAssistantId: number.assistantId };
      const leadId = await callerLead(leads, req.workspaceId, req.callerNumber);
      const id = newId("call");
      if (!(provider instanceof RetellProvider)) throw new PreconditionError("no Retell adapter for this workspace", { provider: provider.kind });
      const { providerCallId } = await provider.registerInboundCall({
        agentId: chosen.providerAssistantId,
        from: req.callerNumber,
        to: req.calledNumber,
        variables: { ...profileVariables(workspace!), caller_number: req.callerNumber },
        metadata: { parley_call_id: id, parley_workspace_id: req.workspaceId, parley_lead_id: leadId, telephony_call_id: req.telephonyCallId },
      });
      await calls.recordInbound({ id, workspaceId: req.workspaceId, leadId, provider: "retell", providerCallId, calledNumber: req.calledNumber, assistant: chosen });
      return { sipUri: `sip:${providerCallId}@${retellSipDomain}`, callId: id };
    },
  };
}
