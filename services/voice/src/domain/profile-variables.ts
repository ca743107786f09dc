import type { leadsV1 } from "@parley/proto";

/** Profile fields an assistant gets as variables, so one prompt serves every workspace. */
const PROFILE_VARIABLES = ["persona", "offer", "pricing", "language"] as const;

export function profileVariables(workspace: leadsV1.Workspace): Record<string, string> {
  const profile = (workspace.profile ?? {}) as Record<string, unknown>;
  const variables: Record<string, string> = { business: workspace.name };
  for (const key of PROFILE_VARIABLES) {
    const value = profile[key];
    if (typeof value === "string" && value) variables[key] = value;
  }
  return variables;
}
