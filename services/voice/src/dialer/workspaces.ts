// Workspaces as the dialer reads them (settings, profile), from leads, reused for a few seconds: a
// campaign dials many leads of one workspace in a row.
import type { leadsV1 } from "@parley/proto";
import { NotFoundError } from "@parley/errors";
import { TtlCache } from "@parley/ttl-cache";
import type { LeadsClient } from "../domain/calls";
import type { WorkspaceDialing } from "./schedule";

export type DialingWorkspace = leadsV1.Workspace & WorkspaceDialing;

export class WorkspaceDirectory {
  private readonly cache: TtlCache<DialingWorkspace>;

  constructor(
    private readonly leads: LeadsClient,
    ttlMs = 5_000,
  ) {
    this.cache = new TtlCache({ ttlMs });
  }

  get(workspaceId: string): Promise<DialingWorkspace> {
    return this.cache.get(workspaceId, async () => {
      const { workspace } = await this.leads.getWorkspace({ workspaceId });
      if (!workspace) throw new NotFoundError("workspace", workspaceId);
      return workspace as DialingWorkspace;
    });
  }
}
