import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { authorised, obj, str } from "../voice/wire";
import type { CalcomCalendar } from "./calendar";
import { bookingRequest, slotsQuery } from "./requests";

const PREFIX = "/calcom";
const UNAVAILABLE = "User either already has booking at this time or is not available";

/** Cal.com is a NestJS app: the error code is the name of the exception class for the status. */
const EXCEPTIONS: Record<number, string> = {
  400: "BadRequestException",
  401: "UnauthorizedException",
  404: "NotFoundException",
  413: "PayloadTooLargeException",
  415: "UnsupportedMediaTypeException",
};

function errorBody(request: FastifyRequest, status: number, message: string) {
  return {
    status: "error",
    timestamp: new Date().toISOString(),
    path: request.url.slice(PREFIX.length),
    error: { code: EXCEPTIONS[status] ?? (status < 500 ? "BadRequestException" : "InternalServerErrorException"), message },
  };
}

function refuse(request: FastifyRequest, reply: FastifyReply, status: number, message: string) {
  return reply.code(status).send(errorBody(request, status, message));
}

/** Without `cal-api-version` Cal.com falls back to an older version's shapes; refusing keeps clients from relying on them. */
function admitted(request: FastifyRequest, reply: FastifyReply): boolean {
  if (!authorised(request, reply, errorBody(request, 401, "No authentication method provided. Pass an API key as a Bearer token in the Authorization header."))) return false;
  if (str(request.headers["cal-api-version"])) return true;
  void refuse(request, reply, 400, "cal-api-version header is required");
  return false;
}

// Cal.com API v2: GET /v2/slots (2024-09-04); POST /v2/bookings, GET /v2/bookings/{uid}, POST /v2/bookings/{uid}/cancel (2024-08-13).
export function registerCalcomRoutes(app: FastifyInstance, calendar: CalcomCalendar): void {
  const notFoundBooking = (uid: string) => `Booking with uid=${uid} was not found in the database`;

  void app.register(
    async (calcom) => {
      // Bodies Fastify cannot parse are refused in Cal.com's error shape too, not the simulator's.
      calcom.setErrorHandler((error: FastifyError, request, reply) => refuse(request, reply, error.statusCode ?? 500, error.message));

      calcom.get("/v2/slots", async (request, reply) => {
        if (!admitted(request, reply)) return reply;
        const query = slotsQuery(obj(request.query));
        if ("error" in query) return refuse(request, reply, 400, query.error);
        const { eventTypeId, fromMs, toMs } = query.value;
        if (!calendar.hasEventType(eventTypeId)) return refuse(request, reply, 404, `Event type with id=${eventTypeId} not found`);
        return { status: "success", data: calendar.freeSlots(eventTypeId, fromMs, toMs) };
      });

      calcom.post("/v2/bookings", async (request, reply) => {
        if (!admitted(request, reply)) return reply;
        const input = bookingRequest(request.body);
        if ("error" in input) return refuse(request, reply, 400, input.error);
        if (!calendar.hasEventType(input.value.eventTypeId)) return refuse(request, reply, 404, `Event type with id=${input.value.eventTypeId} not found`);
        const booking = calendar.book(input.value);
        return booking ? reply.code(201).send({ status: "success", data: booking }) : refuse(request, reply, 400, UNAVAILABLE);
      });

      calcom.get<{ Params: { uid: string } }>("/v2/bookings/:uid", async (request, reply) => {
        if (!admitted(request, reply)) return reply;
        const booking = calendar.get(request.params.uid);
        return booking ? { status: "success", data: booking } : refuse(request, reply, 404, notFoundBooking(request.params.uid));
      });

      calcom.post<{ Params: { uid: string } }>("/v2/bookings/:uid/cancel", async (request, reply) => {
        if (!admitted(request, reply)) return reply;
        const reason = obj(request.body).cancellationReason;
        if (reason !== undefined && typeof reason !== "string") return refuse(request, reply, 400, "cancellationReason must be a string");
        const result = calendar.cancel(request.params.uid, reason);
        if (result.kind === "unknown") return refuse(request, reply, 404, notFoundBooking(request.params.uid));
        if (result.kind === "already_cancelled") return refuse(request, reply, 400, "This booking has already been cancelled.");
        return { status: "success", data: result.booking };
      });
    },
    { prefix: PREFIX },
  );
}
