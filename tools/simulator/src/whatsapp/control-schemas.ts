import { Type, type Static } from "typebox";
import { E164_PATTERN } from "./numbers";
import { TEMPLATE_CATEGORIES, TEMPLATE_STATUSES } from "./templates";

const E164 = Type.String({ pattern: E164_PATTERN });
const Id = Type.String({ minLength: 1 });
const Provider = Type.Union([Type.Literal("twilio"), Type.Literal("meta")]);

/** `POST /_sim/whatsapp/accounts`: a business number and the secret its provider signs webhooks with. */
export const AccountRegistration = Type.Union([
  Type.Object({ provider: Type.Literal("twilio"), account_sid: Id, auth_token: Id, number: E164 }, { additionalProperties: false }),
  Type.Object(
    { provider: Type.Literal("meta"), phone_number_id: Id, display_phone_number: E164, app_secret: Id, business_account_id: Type.Optional(Id) },
    { additionalProperties: false },
  ),
]);
export type AccountRegistration = Static<typeof AccountRegistration>;

/** `POST /_sim/whatsapp/templates`: `account` is a Twilio account sid, or a Meta phone number id or business account id. */
export const TemplateSeed = Type.Object(
  {
    provider: Provider,
    account: Id,
    // Meta's rule for template names; Twilio content names are freer, but Parley uses one name for both.
    name: Type.String({ pattern: "^[a-z0-9_]{1,512}$" }),
    language: Id,
    category: Type.Union(TEMPLATE_CATEGORIES.map((c) => Type.Literal(c))),
    status: Type.Union(TEMPLATE_STATUSES.map((s) => Type.Literal(s))),
    body: Id,
    rejection_reason: Type.Optional(Type.String()),
  },
  { additionalProperties: false },
);

/** `POST /_sim/whatsapp/inbound`: a customer writes to a business number. */
export const InboundMessage = Type.Object(
  {
    provider: Provider,
    from: E164,
    to: E164,
    text: Id,
    deliveries: Type.Optional(Type.Integer({ minimum: 1, maximum: 10 })),
    profile_name: Type.Optional(Type.String()),
  },
  { additionalProperties: false },
);

export const OutboxQuery = Type.Object({ to: Type.Optional(E164) });

export const ClockAdvance = Type.Object({ advance_ms: Type.Integer({ minimum: 0 }) }, { additionalProperties: false });
