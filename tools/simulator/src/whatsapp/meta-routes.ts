import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { bearer, obj, str } from "../voice/wire";
import type { WaContent } from "./messages";
import { graphError, invalidParameter, metaRefusal, metaTemplate, missingParameter, noAccessToken, unknownObject, type GraphError } from "./meta-wire";
import { isE164 } from "./numbers";
import type { WhatsAppSim } from "./whatsapp";

const PREFIX = "/meta";

const refuse = (reply: FastifyReply, error: GraphError) => reply.code(error.status).send(error.body);

function authorised(request: FastifyRequest, reply: FastifyReply): boolean {
  if (bearer(request).trim()) return true;
  void refuse(reply, noAccessToken());
  return false;
}

/** Body parameters fill `{{1}}`, `{{2}}`… in order. */
function bodyVariables(components: unknown): Record<string, string> {
  const body = Array.isArray(components) ? components.map(obj).find((c) => str(c.type).toLowerCase() === "body") : undefined;
  const parameters = Array.isArray(body?.parameters) ? body.parameters.map(obj) : [];
  return Object.fromEntries(parameters.map((p, i) => [String(i + 1), str(p.text)]));
}

type Requested = { kind: "text"; body: string } | { kind: "template"; name: string; language: string; variables: Record<string, string> };
type Parsed = { value: { to: string; input: string; requested: Requested; callbackData?: string } } | { error: GraphError };

/** The recipient and what to send, from a `POST /{phone-number-id}/messages` body; only text and template messages are simulated. */
function parseSend(raw: unknown): Parsed {
  const body = obj(raw);
  if (body.messaging_product !== "whatsapp") return { error: invalidParameter("messaging_product must be 'whatsapp'") };
  const callbackData = str(body.biz_opaque_callback_data) || undefined;
  if (callbackData && callbackData.length > 512) return { error: invalidParameter("biz_opaque_callback_data must be at most 512 characters") };
  const input = str(body.to);
  if (!input) return { error: missingParameter("Parameter 'to' is required") };
  // Meta takes the number with or without its leading plus; wa_id is always bare digits.
  const to = `+${input.replace(/^\+/, "")}`;
  if (!isE164(to)) return { error: invalidParameter("to must be the recipient's phone number in international format, digits only") };
  const type = str(body.type) || "text";
  if (type === "text") {
    const text = str(obj(body.text).body);
    return text ? { value: { to, input, requested: { kind: "text", body: text }, callbackData } } : { error: missingParameter("Parameter 'text.body' is required") };
  }
  if (type !== "template") return { error: invalidParameter(`type '${type}' is not simulated; send text or template`) };
  const template = obj(body.template);
  const [name, language] = [str(template.name), str(obj(template.language).code)];
  if (!name || !language) return { error: missingParameter("Parameters 'template.name' and 'template.language.code' are required") };
  return { value: { to, input, requested: { kind: "template", name, language, variables: bodyVariables(template.components) }, callbackData } };
}

// WhatsApp Cloud API on Graph: POST /{version}/{phone-number-id}/messages, GET /{version}/{waba-id}/message_templates.
export function registerMetaRoutes(app: FastifyInstance, sim: WhatsAppSim, webhookUrl: string): void {
  void app.register(
    async (meta) => {
      // Errors Fastify raises itself (a body that is not JSON, an unknown path) come in Graph's shape too.
      meta.setErrorHandler((error: FastifyError, _request, reply) => {
        const status = error.statusCode ?? 500;
        return refuse(reply, graphError(status, status < 500 ? 100 : 1, status < 500 ? `(#100) ${error.message}` : "An unknown error occurred"));
      });
      meta.setNotFoundHandler((_request, reply) => refuse(reply, graphError(400, 2500, "Unknown path components")));

      meta.post<{ Params: { version: string; phoneNumberId: string } }>("/:version/:phoneNumberId/messages", async (request, reply) => {
        if (!authorised(request, reply)) return reply;
        const sender = sim.accounts.meta(request.params.phoneNumberId);
        if (!sender) return refuse(reply, unknownObject("post", request.params.phoneNumberId));
        const parsed = parseSend(request.body);
        if ("error" in parsed) return refuse(reply, parsed.error);
        const { to, input, requested, callbackData } = parsed.value;
        const content: WaContent =
          requested.kind === "text"
            ? requested
            : { kind: "template", template: sim.templates.byName({ provider: "meta", id: sender.business_account_id }, requested.name, requested.language), variables: requested.variables };
        const result = await sim.messages.send({ provider: "meta", sender: sender.phone_number_id, from: sender.display_phone_number, to, content, statusCallback: webhookUrl, callbackData });
        if (result.kind === "refused") return refuse(reply, metaRefusal(result.reason, requested.kind === "template" ? requested : undefined));
        return { messaging_product: "whatsapp", contacts: [{ input, wa_id: to.slice(1) }], messages: [{ id: result.message.id }] };
      });

      meta.get<{ Params: { version: string; wabaId: string } }>("/:version/:wabaId/message_templates", async (request, reply) => {
        if (!authorised(request, reply)) return reply;
        const { wabaId } = request.params;
        if (!sim.accounts.hasMetaBusinessAccount(wabaId)) return refuse(reply, unknownObject("get", wabaId));
        return { data: sim.templates.list({ provider: "meta", id: wabaId }).map(metaTemplate), paging: {} };
      });
    },
    { prefix: PREFIX },
  );
}
