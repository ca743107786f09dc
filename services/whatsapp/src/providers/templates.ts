// Both vendors report WhatsApp's template review in their own words; these bring them to the port's
// four states and three categories.
import type { ProviderTemplate } from "./port";

/**
 * Only APPROVED may be sent. States that will not become sendable by waiting (disabled, deleted,
 * archived) count as REJECTED; states still under review or never submitted as PENDING.
 */
export function templateStatus(raw: string | undefined): ProviderTemplate["status"] {
  switch (raw?.toUpperCase()) {
    case "APPROVED":
      return "APPROVED";
    case "PAUSED":
      return "PAUSED";
    case "REJECTED":
    case "DISABLED":
    case "DELETED":
    case "PENDING_DELETION":
    case "ARCHIVED":
    case "LIMIT_EXCEEDED":
      return "REJECTED";
    default:
      return "PENDING";
  }
}

/** Unknown or legacy categories count as MARKETING, whose opt-out and pricing rules are the strictest. */
export function templateCategory(raw: string | undefined): ProviderTemplate["category"] {
  const upper = raw?.toUpperCase();
  return upper === "UTILITY" || upper === "AUTHENTICATION" ? upper : "MARKETING";
}

/** Distinct `{{1}}` / `{{name}}` placeholders in a template body. */
export function placeholderCount(body: string): number {
  return new Set(Array.from(body.matchAll(/\{\{\s*([^{}\s]+)\s*\}\}/g), (m) => m[1])).size;
}
