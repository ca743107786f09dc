import type { FastifyInstance } from "fastify";
import type { TypeBoxTypeProvider } from "@fastify/type-provider-typebox";
import { Type } from "typebox";
import type { voiceV1 } from "@parley/proto";
import { workspaceOf } from "../http/principal";
import { Nullable, problemResponses, Timestamp } from "../http/schemas";
import type { RouteDeps } from "./deps";

const PhoneNumberSchema = Type.Object({
  number: Type.String({ description: "E.164" }),
  provider: Type.String(),
  assistant_id: Type.String(),
  created_at: Nullable(Timestamp),
});

const json = (p: voiceV1.PhoneNumber) => ({ number: p.number, provider: p.provider, assistant_id: p.assistantId, created_at: p.createdAt?.toISOString() ?? null });

/** The workspace's numbers for inbound calls: a call to one is answered by its assistant. */
export function phoneNumberRoutes(root: FastifyInstance, { voice }: RouteDeps): void {
  const app = root.withTypeProvider<TypeBoxTypeProvider>();
  const tags = ["phone numbers"];
  const Number = Type.String({ pattern: "^\\+[1-9][0-9]{6,14}$", description: "E.164, e.g. +14155550100" });

  app.post(
    "/v1/phone-numbers",
    {
      config: { scope: "admin" },
      schema: {
        tags,
        summary: "Register (or re-point) a number for inbound calls",
        description:
          "vapi: point the Vapi number's server URL at /webhooks/vapi on this gateway; its assistant-request is answered with this assistant and the workspace's profile as variables. retell: a Twilio number of the workspace (PUT /v1/integrations/twilio) whose Voice URL is /webhooks/twilio/voice; each call is registered with this Retell agent and Twilio dials it over SIP. assistant_id is a directory assistant (asst_…) or the provider's own id.",
        body: Type.Object(
          { number: Number, provider: Type.Union([Type.Literal("vapi"), Type.Literal("retell")]), assistant_id: Type.String({ minLength: 1, maxLength: 200 }) },
          { additionalProperties: false },
        ),
        response: { 201: PhoneNumberSchema, ...problemResponses(400, 401, 403, 409) },
      },
    },
    async (request, reply) => {
      const { phoneNumber } = await voice.putPhoneNumber({ workspaceId: workspaceOf(request.principal), number: request.body.number, provider: request.body.provider, assistantId: request.body.assistant_id });
      return reply.code(201).send(json(phoneNumber!));
    },
  );

  app.get(
    "/v1/phone-numbers",
    { config: { scope: "admin" }, schema: { tags, summary: "The workspace's inbound numbers", response: { 200: Type.Object({ data: Type.Array(PhoneNumberSchema) }), ...problemResponses(401, 403) } } },
    async (request) => ({ data: (await voice.listPhoneNumbers({ workspaceId: workspaceOf(request.principal) })).phoneNumbers.map(json) }),
  );

  app.delete(
    "/v1/phone-numbers/:number",
    {
      config: { scope: "admin" },
      schema: { tags, summary: "Stop answering a number", params: Type.Object({ number: Number }), response: { 204: Type.Null(), ...problemResponses(400, 401, 403, 404) } },
    },
    async (request, reply) => {
      await voice.deletePhoneNumber({ workspaceId: workspaceOf(request.principal), number: request.params.number });
      return reply.code(204).send(null);
    },
  );
}
