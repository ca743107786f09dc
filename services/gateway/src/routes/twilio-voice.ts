// Twilio's voice webhook for a tenant's own Twilio number whose calls a Retell agent answers:
// the signature is checked by whatsapp (which keeps the Twilio auth token), voice registers the
// call with Retell and records it, and Twilio is told to dial it over SIP.
import type { FastifyReply, FastifyRequest } from "fastify";
import { isDomainError, problem } from "@parley/errors";
import type { GrpcClient } from "@parley/grpc";
import type { voiceV1, whatsappV1 } from "@parley/proto";
import { counter } from "@parley/metrics";
import { sendProblem } from "../http/problems";

export interface TwilioVoiceDeps {
  voice: GrpcClient<typeof voiceV1.VoiceServiceService>["call"];
  whatsapp: GrpcClient<typeof whatsappV1.WhatsAppServiceService>["call"];
  /** The gateway's public base URL, which Twilio signs; else the request's own scheme and host. */
  publicUrl?: string;
}

const calls = counter("parley_twilio_voice_webhooks_total", "Twilio voice webhooks by outcome", ["outcome"]);

const escapeXml = (text: string) => text.replace(/[<>&"']/g, (c) => ({ "<": "&lt;", ">": "&gt;", "&": "&amp;", '"': "&quot;", "'": "&apos;" })[c] ?? c);
const twiml = (body: string) => `<?xml version="1.0" encoding="UTF-8"?><Response>${body}</Response>`;
const sayAndHangUp = (text: string) => twiml(`<Say>${escapeXml(text)}</Say><Hangup/>`);

export function twilioVoiceHandler(deps: TwilioVoiceDeps) {
  return async (request: FastifyRequest, reply: FastifyReply) => {
    const raw = Buffer.isBuffer(request.body) ? request.body.toString("utf8") : "";
    const params = Object.fromEntries(new URLSearchParams(raw));
    const to = params.To ?? "";
    const from = params.From ?? "";
    const workspaceId = to ? (await deps.voice.resolveInbound({ calledNumber: to })).workspaceId : "";
    const url = `${deps.publicUrl?.replace(/\/$/, "") ?? `${request.protocol}://${request.host}`}${request.url}`;
    const signature = request.headers["x-twilio-signature"];
    const verdict = await deps.whatsapp.verifyTwilioSignature({ workspaceId, url, params, signature: typeof signature === "string" ? signature : "" });
    if (!verdict.valid) {
      calls.inc({ outcome: "rejected" });
      request.log.warn({ workspace_id: workspaceId, reason: verdict.reason }, "twilio voice webhook rejected");
      return sendProblem(reply, problem(401, "Unauthorized", "The webhook signature could not be verified."));
    }
    void reply.type("text/xml");
    try {
      const { sipUri } = await deps.voice.connectInbound({ workspaceId, calledNumber: to, callerNumber: from, telephonyCallId: params.CallSid ?? "" });
      calls.inc({ outcome: "connected" });
      return twiml(`<Dial><Sip>${escapeXml(sipUri)}</Sip></Dial>`);
    } catch (err) {
      // Twilio plays whatever it gets: the caller hears a sentence, never an error page.
      if (isDomainError(err) && (err.kind === "not_found" || err.kind === "failed_precondition")) {
        calls.inc({ outcome: "not_set_up" });
        return sayAndHangUp("This number is not set up to take calls.");
      }
      calls.inc({ outcome: "failed" });
      request.log.error({ err, workspace_id: workspaceId }, "inbound call could not be connected");
      return sayAndHangUp("Sorry, we cannot take your call right now. Please try again later.");
    }
  };
}
