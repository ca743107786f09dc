import type { Scope } from "../auth/scopes";

export type Principal =
  | { kind: "key"; id: string; workspaceId: string; scopes: string[] }
  /** The operator's PARLEY_ADMIN_TOKEN: may only create workspaces. */
  | { kind: "operator"; id: "operator" };

export type AuthMode = "key" | "operator" | "none";

declare module "fastify" {
  interface FastifyRequest {
    principal?: Principal;
  }
  interface FastifyContextConfig {
    /** Who may call the route; `key` unless said otherwise. */
    auth?: AuthMode;
    /** The scope a key needs (any valid key when absent). */
    scope?: Scope;
  }
}

/** The caller's workspace, for routes behind `auth: "key"`. */
export function workspaceOf(principal: Principal | undefined): string {
  if (principal?.kind !== "key") throw new Error("route is not behind key auth");
  return principal.workspaceId;
}
