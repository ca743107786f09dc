export const SCOPES = [
  "leads:read",
  "leads:write",
  "calls:read",
  "calls:write",
  "campaigns:write",
  "messages:write",
  "analytics:read",
  "admin",
] as const;
export type Scope = (typeof SCOPES)[number];

/** `admin` holds every scope. */
export function hasScope(granted: readonly string[], needed: Scope): boolean {
  return granted.includes("admin") || granted.includes(needed);
}
