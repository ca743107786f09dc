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
    const c = await this.integrations.find(workspaceId, "calcom");
    if (!c) return this.builtIn;
    return new CalcomCalendar(this.db, { apiKey: c.api_key, eventTypeId: c.event_type_id }, { baseUrl: this.endpoints.calcomBaseUrl, timeoutMs: this.endpoints.timeoutMs });
  }
}
