import type { IntegrationStore } from "@parley/integrations";
import type { PrismaClient } from "../generated/prisma/client.ts";
import { BuiltInCalendar, type Calendar } from "./calendar";
import { CalcomCalendar } from "./calcom";

export interface CalendarEndpoints {
  calcomBaseUrl: string;
  timeoutMs: number;
}

/** A workspace's calendar: its Cal.com when it connected one (PUT /v1/integrations/calcom), else the built-in one. */
export class Calendars {
  private readonly builtIn: BuiltInCalendar;

  constructor(
    private readonly db: PrismaClient,
    private readonly integrations: IntegrationStore,
    private readonly endpoints: CalendarEndpoints,
  ) {
    this.builtIn = new BuiltInCalendar(db);
  }

  async forWorkspace(workspaceId: string): Promise<Calendar> {
    const connected = (await this.integrations.list(workspaceId)).some((i) => i.kind === "calcom");
    if (!connected) return this.builtIn;
    const c = await this.integrations.credentials(workspaceId, "calcom");
    return new CalcomCalendar(this.db, { apiKey: c.api_key, eventTypeId: c.event_type_id }, { baseUrl: this.endpoints.calcomBaseUrl, timeoutMs: this.endpoints.timeoutMs });
  }
}
