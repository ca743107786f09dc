import type { FastifyError, FastifyInstance } from "fastify";
import type { SimConfig } from "../config";
import { authorised, obj, str } from "../voice/wire";
import { replyTo } from "./answers";
import { chatCompletion, MALFORMED_CONTENT, openAiId, REFUSAL } from "./completions";
import type { OpenAiLog, OpenAiOutcome } from "./log";
import { chatRequest, requestKind, schemaName, type ChatMessage } from "./request";

const PREFIX = "/openai/v1";
const MODELS = ["gpt-4o-mini", "gpt-4o"];
/** A fixed date, so the model list is the same on every run. */
const MODELS_CREATED = 1_715_367_049;

type ErrorType = "invalid_request_error" | "requests" | "server_error";

function errorBody(message: string, type: ErrorType, param: string | null = null, code: string | null = null) {
  return { error: { message, type, param, code } };
}

const NO_KEY = errorBody(
  "You didn't provide an API key. You need to provide your API key in an Authorization header using Bearer auth (i.e. Authorization: Bearer YOUR_KEY).",
  "invalid_request_error",
  null,
  "invalid_api_key",
);
const RATE_LIMITED = errorBody("Rate limit reached for requests", "requests", null, "rate_limit_exceeded");
const SERVER_ERROR = errorBody("The server had an error while processing your request.", "server_error");
/** Short, so clients that honour it (the official SDK does) retry at once in tests. */
const RETRY_AFTER_MS = "50";

const model = (id: string) => ({ id, object: "model", created: MODELS_CREATED, owned_by: "simulator" });

// OpenAI API v1: POST /chat/completions, GET /models, GET /models/{model}.
export function registerOpenAiRoutes(app: FastifyInstance, log: OpenAiLog, settings: () => SimConfig["openai"]): void {
  // Requests waiting out the configured latency are answered at once, so closing never waits for them.
  app.addHook("preClose", async () => log.cancelWaits());

  void app.register(
    async (openai) => {
      // Errors Fastify raises itself (a body that is not JSON, an unknown path) come in OpenAI's shape too.
      openai.setErrorHandler((error: FastifyError, _request, reply) => {
        const status = error.statusCode ?? 500;
        return reply.code(status).send(status < 500 ? errorBody(error.message, "invalid_request_error") : SERVER_ERROR);
      });
      openai.setNotFoundHandler((request, reply) => reply.code(404).send(errorBody(`Invalid URL (${request.method} ${request.url.replace(/^\/openai/, "")})`, "invalid_request_error")));
      openai.addHook("onRequest", async (_request, reply) => {
        void reply.header("x-request-id", openAiId("req_", 32));
      });

      openai.get("/models", async (request, reply) => {
        if (!authorised(request, reply, NO_KEY)) return reply;
        return { object: "list", data: MODELS.map(model) };
      });

      openai.get<{ Params: { model: string } }>("/models/:model", async (request, reply) => {
        if (!authorised(request, reply, NO_KEY)) return reply;
        const id = request.params.model;
        if (MODELS.includes(id)) return model(id);
        return reply.code(404).send(errorBody(`The model '${id}' does not exist or you do not have access to it.`, "invalid_request_error", null, "model_not_found"));
      });

      openai.post("/chat/completions", async (request, reply) => {
        const at = new Date();
        const name = schemaName(request.body);
        const note = (outcome: OpenAiOutcome, messages?: readonly ChatMessage[]) =>
          log.record({
            at: at.toISOString(),
            model: str(obj(request.body).model) || null,
            kind: requestKind(request.body),
            outcome,
            ...(name === undefined ? {} : { schema_name: name }),
            ...(messages ? { messages: messages.map(({ role, text }) => ({ role, text })) } : {}),
          });

        if (!authorised(request, reply, NO_KEY)) {
          note("401");
          return reply;
        }
        const parsed = chatRequest(request.body);
        if ("error" in parsed) {
          note("400");
          const { message, param, code } = parsed.error;
          return reply.code(400).send(errorBody(message, "invalid_request_error", param, code));
        }
        // Checked before the latency, so failures are handed out in arrival order.
        const failure = settings().fail_next.shift();
        note(failure === 429 ? "429" : failure === 500 ? "500" : (failure ?? "ok"), parsed.value.messages);
        await log.wait(settings().latency_ms);
        switch (failure) {
          case 429:
            return reply.code(429).header("retry-after-ms", RETRY_AFTER_MS).send(RATE_LIMITED);
          case 500:
            return reply.code(500).send(SERVER_ERROR);
          case "malformed":
            return chatCompletion(parsed.value, { content: MALFORMED_CONTENT });
          case "refusal":
            return chatCompletion(parsed.value, { refusal: REFUSAL });
          case undefined:
            return chatCompletion(parsed.value, replyTo(parsed.value, at));
        }
      });
    },
    { prefix: PREFIX },
  );
}
