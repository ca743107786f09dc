// Naming of streams and subjects, with the deployment/test prefix applied in one place.

export const EVENT_DOMAINS = ["leads", "voice", "whatsapp", "analytics", "retention"] as const;
export type EventDomain = (typeof EVENT_DOMAINS)[number];
export const WEBHOOKS_DOMAIN = "webhooks";
export type StreamDomain = EventDomain | typeof WEBHOOKS_DOMAIN;

export const HEADER_EVENT_ID = "parley-event-id";
export const HEADER_EVENT_TYPE = "parley-event-type";
export const HEADER_WORKSPACE = "parley-workspace-id";
/** Set on a dead letter's replay: only the named consumer applies it, the others ack and skip. */
export const HEADER_REPLAY_FOR = "parley-replay-for";

export function streamName(domain: StreamDomain, prefix: string): string {
  const base = domain.toUpperCase();
  return prefix ? `${prefix.toUpperCase()}_${base}` : base;
}

export function withPrefix(subject: string, prefix: string): string {
  return prefix ? `${prefix}.${subject}` : subject;
}

export function withoutPrefix(subject: string, prefix: string): string {
  return prefix && subject.startsWith(`${prefix}.`) ? subject.slice(prefix.length + 1) : subject;
}

export function eventSubject(domain: EventDomain, event: string, workspaceId: string): string {
  return `${domain}.${event}.${workspaceId}`;
}
