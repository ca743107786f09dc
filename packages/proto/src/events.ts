// Every event message of proto/parley/events/v1, under one namespace (the generated files also
// export helpers of the same names, so the messages are listed).
export { LeadSnapshot, LeadCreated, LeadUpdated, LeadDeleted, LeadOptedOut, WorkspaceChanged, LeadsImported } from "./gen/parley/events/v1/leads";
export { CallStarted, CallEnded, AppointmentBooked, CampaignStatusChanged } from "./gen/parley/events/v1/voice";
export { CallAnalyzed } from "./gen/parley/events/v1/analytics";
export { WhatsAppMessage, MessageReceived, MessageSent, MessageStatusChanged } from "./gen/parley/events/v1/whatsapp";
