import { ConflictError, NotFoundError, ValidationError } from "@parley/errors";
import { newId } from "@parley/ids";
import { z } from "zod";
import { Prisma, type Member, type PrismaClient, type Workspace } from "../generated/prisma/client.ts";
import { emitWorkspaceChanged } from "../events/emit";
import { isTimeZone, parseOrThrow, profileSchema, settingsSchema } from "./workspace-settings";

export const MEMBER_ROLES = ["owner", "admin", "agent", "viewer"] as const;
export type MemberRole = (typeof MEMBER_ROLES)[number];

export interface CreateWorkspaceInput {
  name: string;
  timezone: string;
  profile?: Record<string, unknown>;
  settings?: Record<string, unknown>;
}

export interface UpdateWorkspaceInput {
  workspaceId: string;
  name?: string;
  timezone?: string;
  profile?: Record<string, unknown>;
  settings?: Record<string, unknown>;
}

function checkName(name: string): string {
  const trimmed = name.trim();
  if (!trimmed || trimmed.length > 200) throw new ValidationError("invalid workspace", [{ path: "name", message: "1 to 200 characters" }]);
  return trimmed;
}

function checkTimeZone(tz: string): string {
  if (!isTimeZone(tz)) throw new ValidationError("invalid workspace", [{ path: "timezone", message: "not an IANA time zone (e.g. Europe/Madrid)" }]);
  return tz;
}

export class WorkspacesDomain {
  constructor(private readonly db: PrismaClient) {}

  async create(input: CreateWorkspaceInput): Promise<Workspace> {
    const name = checkName(input.name);
    const timezone = checkTimeZone(input.timezone || "UTC");
    const profile = parseOrThrow(profileSchema, input.profile, "profile");
    const settings = parseOrThrow(settingsSchema, input.settings, "settings");
    return this.db.$transaction(async (tx) => {
      const workspace = await tx.workspace.create({
        data: { id: newId("ws"), name, timezone, profile: profile as Prisma.InputJsonObject, settings: settings as Prisma.InputJsonObject },
      });
      await emitWorkspaceChanged(tx, workspace, true);
      return workspace;
    });
  }

  async get(workspaceId: string): Promise<Workspace> {
    const ws = await this.db.workspace.findUnique({ where: { id: workspaceId } });
    if (!ws) throw new NotFoundError("workspace", workspaceId);
    return ws;
  }

  /** Top-level keys of profile and settings replace the stored ones; the merged result must validate. */
  async update(input: UpdateWorkspaceInput): Promise<Workspace> {
    return this.db.$transaction(async (tx) => {
      await tx.$queryRawUnsafe("select id from workspaces where id = $1 for update", input.workspaceId);
      const current = await tx.workspace.findUnique({ where: { id: input.workspaceId } });
      if (!current) throw new NotFoundError("workspace", input.workspaceId);
      const data: Prisma.WorkspaceUpdateInput = {};
      if (input.name !== undefined) data.name = checkName(input.name);
      if (input.timezone !== undefined) data.timezone = checkTimeZone(input.timezone);
      if (input.profile)
        data.profile = parseOrThrow(profileSchema, { ...(current.profile as object), ...input.profile }, "profile") as Prisma.InputJsonObject;
      if (input.settings)
        data.settings = parseOrThrow(settingsSchema, { ...(current.settings as object), ...input.settings }, "settings") as Prisma.InputJsonObject;
      if (Object.keys(data).length === 0) return current;
      const updated = await tx.workspace.update({ where: { id: current.id }, data });
      await emitWorkspaceChanged(tx, updated, false);
      return updated;
    });
  }

  async addMember(workspaceId: string, email: string, name: string, role: MemberRole): Promise<Member> {
    await this.get(workspaceId);
    const normalised = email.trim().toLowerCase();
    if (!z.email().safeParse(normalised).success) throw new ValidationError("invalid member", [{ path: "email", message: "not a valid email address" }]);
    try {
      return await this.db.member.create({ data: { id: newId("mem"), workspaceId, email: normalised, name: name.trim(), role } });
    } catch (err) {
      if (err instanceof Prisma.PrismaClientKnownRequestError && err.code === "P2002")
        throw new ConflictError("this email is already a member of the workspace", { email: normalised });
      throw err;
    }
  }

  async listMembers(workspaceId: string): Promise<Member[]> {
    await this.get(workspaceId);
    return this.db.member.findMany({ where: { workspaceId }, orderBy: { createdAt: "asc" } });
  }
}
