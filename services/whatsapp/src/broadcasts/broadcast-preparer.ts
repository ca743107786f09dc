import type pg from "pg";
import { WakeupLoop } from "@parley/bus";
import type { Logger } from "@parley/logger";
import type { leadsV1 } from "@parley/proto";
import type { Broadcast, Prisma, PrismaClient } from "../generated/prisma/client.ts";
import type { LeadsClient } from "../conversations/conversations";
import { statusRank } from "../conversations/message-status";
import type { MessageQueue } from "../messaging/message-queue";
import { PENDING_CHANNEL } from "../messaging/pending-sender";
import { newId } from "@parley/ids";

export const PREPARE_CHANNEL = "whatsapp_broadcasts";
const PAGE = 200;
/** How often a replica with nothing to prepare looks for sent broadcasts to complete. */
const IDLE_MS = 1000;

interface StoredTemplate {
  name: string;
  language: string;
  providerTemplateId: string;
  variables: string[];
}

/**
 * Enumerates a broadcast's leads a page at a time under a lease, on any replica: each page's
 * messages are queued for the pacer in one transaction with the cursor, so a replica that dies
 * leaves the broadcast to another from where it stopped, and no lead gets the template twice
 * (a broadcast has one message per lead). Opted-out leads are counted, not queued.
 */
export class BroadcastPreparer {
  private readonly loop: WakeupLoop;

  constructor(
    pool: pg.Pool,
    private readonly db: PrismaClient,
    private readonly leads: LeadsClient,
    private readonly queue: MessageQueue,
    private readonly owner: string,
    private readonly leaseMs: number,
    logger: Logger,
  ) {
    this.loop = new WakeupLoop(pool, { name: "broadcast preparer", channel: PREPARE_CHANNEL, retryMs: IDLE_MS }, () => this.round(), logger);
  }

  start(): void {
    this.loop.start();
  }

  stop(): Promise<void> {
    return this.loop.stop();
  }

  /** One page of one broadcast, then at once the next; with none left, completes the sent ones. */
  private async round(): Promise<number> {
    const broadcast = await this.claim();
    if (broadcast) {
      await this.preparePage(broadcast);
      return 0;
    }
    await this.completeSent();
    return IDLE_MS;
  }

  private async claim(): Promise<Broadcast | undefined> {
    const [row] = await this.db.$queryRawUnsafe<{ id: string }[]>(
      `update broadcasts set lease_owner = $1, lease_until = now() + make_interval(secs => $2::float8 / 1000)
        where id = (select id from broadcasts where status = 'preparing' and (lease_until is null or lease_until <= now() or lease_owner = $1)
                    order by created_at limit 1 for update skip locked)
        returning id`,
      this.owner,
      this.leaseMs,
    );
    return row ? ((await this.db.broadcast.findUnique({ where: { id: row.id } })) ?? undefined) : undefined;
  }

  private async page(b: Broadcast): Promise<{ leads: leadsV1.Lead[]; next?: string }> {
    const filter = b.leadFilter as { status?: string; tag?: string; query?: string } | null;
    if (b.leadIds.length) {
      const offset = Number(b.cursor ?? 0);
      const ids = b.leadIds.slice(offset, offset + PAGE);
      const found = ids.length ? (await this.leads.listLeads({ workspaceId: b.workspaceId, ids, limit: PAGE, cursor: "" })).leads : [];
      return { leads: found, next: offset + PAGE < b.leadIds.length ? String(offset + PAGE) : undefined };
    }
    const res = await this.leads.listLeads({ workspaceId: b.workspaceId, status: filter?.status, tag: filter?.tag, query: filter?.query, limit: PAGE, cursor: b.cursor ?? "", ids: [] });
    return { leads: res.leads, next: res.nextCursor || undefined };
  }

  private async preparePage(b: Broadcast): Promise<void> {
    const { leads, next } = await this.page(b);
    const template = b.template as unknown as StoredTemplate;
    const consenting = leads.filter((l) => !l.optedOut?.whatsapp);
    await this.db.$transaction(async (tx: Prisma.TransactionClient) => {
      // Only the lease holder moves the broadcast on: a replica that lost it writes nothing.
      const held = await tx.$queryRawUnsafe<{ id: string }[]>(`select id from broadcasts where id = $1 and lease_owner = $2 and status = 'preparing' for update`, b.id, this.owner);
      if (!held.length) return;
      const now = new Date();
      const conversations = await this.queue.conversationsFor(tx, b.workspaceId, consenting);
      const rows: Prisma.MessageCreateManyInput[] = [];
      for (const lead of consenting) {
        const conversation = conversations.get(lead.id)!;
        rows.push({
          id: newId("msg"),
          workspaceId: b.workspaceId,
          conversationId: conversation.id,
          leadId: lead.id,
          direction: "outbound",
          provider: conversation.provider,
          template: { ...template, variables: template.variables.map((v) => v.replaceAll("{{lead.name}}", lead.name || "there")) },
          status: "pending",
          statusRank: statusRank("pending"),
          origin: "broadcast",
          broadcastId: b.id,
          createdAt: now,
          updatedAt: now,
        });
      }
      const { count } = await tx.message.createMany({ data: rows, skipDuplicates: true });
      await tx.broadcast.update({
        where: { id: b.id },
        data: {
          cursor: next ?? null,
          status: next ? "preparing" : "sending",
          total: { increment: count },
          skippedOptedOut: { increment: leads.length - consenting.length },
          ...(next ? {} : { leaseOwner: null, leaseUntil: null }),
          updatedAt: now,
        },
      });
      await tx.$executeRawUnsafe(`select pg_notify('${PENDING_CHANNEL}', '')`);
    });
  }

  /** A sending broadcast with nothing left pending is completed. */
  private async completeSent(): Promise<void> {
    await this.db.$executeRawUnsafe(
      `update broadcasts b set status = 'completed', updated_at = now()
        where status = 'sending' and not exists (select 1 from messages m where m.broadcast_id = b.id and m.status in ('pending', 'sending'))`,
    );
  }
}
