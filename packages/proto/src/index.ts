// Namespaced re-exports of the generated code (never edit src/gen by hand: `npm run gen`).
export * as leadsV1 from "./gen/parley/leads/v1/leads";
export * as voiceV1 from "./gen/parley/voice/v1/voice";
export * as whatsappV1 from "./gen/parley/whatsapp/v1/whatsapp";
export * as analyticsV1 from "./gen/parley/analytics/v1/analytics";
export * as retentionV1 from "./gen/parley/retention/v1/retention";
export * as events from "./events";
export * as integrationsV1 from "./gen/parley/integrations/v1/integrations";
