import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { obj, str } from "../voice/wire";
import type { WaContent } from "./messages";
import { fromWhatsAppAddress } from "./numbers";
import { API_VERSION, TWILIO_REFUSALS, twilioContent, twilioError, twilioMessage, type TwilioError } from "./twilio-wire";
import type { WhatsAppSim } from "./whatsapp";

const PREFIX = "/twilio";
const NOT_AUTHENTICATED = twilioError(401, 20003, "Authenticate");

const refuse = (reply: FastifyReply, error: TwilioError) => reply.code(error.status).send(error);

/** HTTP Basic `AccountSid:AuthToken`; the simulator takes any token, like a sandbox, and learns it. */
function credentials(request: FastifyRequest): { accountSid: string; authToken: string } | undefined {
  const [scheme, encoded] = (request.headers.authorization ?? "").split(" ");
  if (scheme?.toLowerCase() !== "basic" || !encoded) return undefined;
  const decoded = Buffer.from(encoded, "base64").toString("utf8");
  const colon = decoded.indexOf(":");
  if (colon <= 0 || colon === decoded.length - 1) return undefined;
  return { accountSid: decoded.slice(0, colon), authToken: decoded.slice(colon + 1) };
}

/** `ContentVariables` is a JSON object of placeholder number → value, sent as a string. */
function contentVariables(raw: string): Record<string, string> | undefined {
  if (!raw) return {};
  try {
    const parsed: unknown = JSON.parse(raw);
    if (!parsed || typeof parsed !== "object" || Array.isArray(parsed)) return undefined;
    return Object.fromEntries(Object.entries(parsed).map(([n, value]) => [n, String(value)]));
  } catch {
    return undefined;
  }
}

// Twilio Messages API (WhatsApp senders) and Content API: POST/GET /2010-04-01/Accounts/{sid}/Messages, GET /content/v1/ContentAndApprovals.
export function registerTwilioRoutes(app: FastifyInstance, sim: WhatsAppSim, defaultStatusCallback: string): void {
  void app.register(
    async (twilio) => {
      twilio.addContentTypeParser("application/x-www-form-urlencoded", { parseAs: "string" }, (_request, body, done) => {
        done(null, Object.fromEntries(new URLSearchParams(body as string)));
      });
      // Errors Fastify raises itself (an unparsable body, an unknown path) come in Twilio's shape too.
      twilio.setErrorHandler((error: FastifyError, _request, reply) => {
        const status = error.statusCode ?? 500;
        return refuse(reply, twilioError(status, status < 500 ? 20001 : 20500, error.message));
      });
      twilio.setNotFoundHandler((request, reply) => refuse(reply, twilioError(404, 20404, `The requested resource ${request.url.slice(PREFIX.length)} was not found`)));

      const account = (request: FastifyRequest, reply: FastifyReply, pathSid: string) => {
        const given = credentials(request);
        if (given?.accountSid === pathSid) return given;
        void refuse(reply, NOT_AUTHENTICATED);
        return undefined;
      };

      twilio.post<{ Params: { sid: string } }>(`/${API_VERSION}/Accounts/:sid/Messages.json`, async (request, reply) => {
        const given = account(request, reply, request.params.sid);
        if (!given) return reply;
        const form = obj(request.body);
        const [rawTo, rawFrom] = [str(form.To), str(form.From)];
        if (!rawTo) return refuse(reply, twilioError(400, 21604, "A 'To' phone number is required."));
        if (!rawFrom) return refuse(reply, twilioError(400, 21603, "A 'From' phone number is required."));
        const to = fromWhatsAppAddress(rawTo);
        if (!to) return refuse(reply, twilioError(400, 21211, `Invalid 'To' Phone Number: ${rawTo}`));
        const from = fromWhatsAppAddress(rawFrom);
        if (!from) return refuse(reply, twilioError(400, 63007, "Twilio could not find a Channel with the specified From address"));
        const contentSid = str(form.ContentSid);
        if (!contentSid && !str(form.Body)) return refuse(reply, twilioError(400, 21619, "A text message body or media url must be specified."));
        const variables = contentVariables(str(form.ContentVariables));
        if (!variables) return refuse(reply, twilioError(400, 21656, "The ContentVariables Parameter is invalid."));

        sim.accounts.registerTwilio(given.accountSid, given.authToken, from);
        const content: WaContent = contentSid
          ? { kind: "template", template: sim.templates.byId({ provider: "twilio", id: given.accountSid }, contentSid), variables }
          : { kind: "text", body: str(form.Body) };
        const result = await sim.messages.send({ provider: "twilio", sender: given.accountSid, from, to, content, statusCallback: str(form.StatusCallback) || defaultStatusCallback });
        if (result.kind === "refused") return refuse(reply, TWILIO_REFUSALS[result.reason]);
        return reply.code(201).send(twilioMessage(result.message));
      });

      twilio.get<{ Params: { sid: string; messageSid: string } }>(`/${API_VERSION}/Accounts/:sid/Messages/:messageSid.json`, async (request, reply) => {
        if (!account(request, reply, request.params.sid)) return reply;
        const message = sim.messages.get("twilio", request.params.messageSid);
        if (!message || message.sender !== request.params.sid) return refuse(reply, twilioError(404, 20404, `The requested resource ${request.url.slice(PREFIX.length)} was not found`));
        return twilioMessage(message);
      });

      twilio.get("/content/v1/ContentAndApprovals", async (request, reply) => {
        const given = credentials(request);
        if (!given) return refuse(reply, NOT_AUTHENTICATED);
        const base = `${request.protocol}://${request.host}${PREFIX}/content`;
        const contents = sim.templates.list({ provider: "twilio", id: given.accountSid }).map((t) => twilioContent(t, given.accountSid, base));
        const url = `${base}/v1/ContentAndApprovals?PageSize=50&Page=0`;
        return { contents, meta: { page: 0, page_size: 50, first_page_url: url, previous_page_url: null, url, next_page_url: null, key: "contents" } };
      });
    },
    { prefix: PREFIX },
  );
}
