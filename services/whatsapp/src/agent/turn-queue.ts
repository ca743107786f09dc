import type { PrismaClient } from "../generated/prisma/client.ts";

export interface TurnQueueOptions {
  /** Concurrent turns across every replica (the LLM account's and the providers' limits). */
  globalBound: number;
  leaseMs: number;
  /** A conversation is answered once the lead has been quiet this long, so a burst is one turn. */
  quietMs: number;
}

export interface ClaimedConversation {
  id: string;
  workspaceId: string;
  leadId: string;
}

/**
 * The agent's work queue is the conversations table: an inbound message sets turn_requested_at;
 * a replica claims the conversation with a lease (one turn per lead at a time, since the lease is
 * the conversation's). Claims are serialised by a transaction-scoped advisory lock so the count of
 * live leases, and with it the global bound, holds across replicas.
 */
export class TurnQueue {
  constructor(
    private readonly db: PrismaClient,
    private readonly owner: string,
    private readonly options: TurnQueueOptions,
    private readonly now: () => Date = () => new Date(),
  ) {}

  async claim(max: number): Promise<ClaimedConversation[]> {
    if (max <= 0) return [];
    const now = this.now();
    return this.db.$transaction(async (tx) => {
      await tx.$executeRawUnsafe("select pg_advisory_xact_lock(hashtext('whatsapp_turn_claims'))");
      return tx.$queryRawUnsafe<ClaimedConversation[]>(
        `with live as (select count(*)::int as n from conversations where turn_active and turn_lease_until > $1),
         picked as (
           select id from conversations
           where (turn_active or turn_requested_at <= $1::timestamptz - make_interval(secs => $2::float8 / 1000))
             and (turn_lease_until is null or turn_lease_until <= $1)
             and (turn_not_before is null or turn_not_before <= $1)
           order by coalesce(turn_requested_at, turn_lease_until)
           limit least($3::int, greatest(0, $4::int - (select n from live)))
           for update skip locked)
         update conversations c
            set turn_active = true, turn_owner = $5, turn_lease_until = $1::timestamptz + make_interval(secs => $6::float8 / 1000), turn_not_before = null
           from picked where c.id = picked.id
         returning c.id, c.workspace_id as "workspaceId", c.lead_id as "leadId"`,
        now,
        this.options.quietMs,
        max,
        this.options.globalBound,
        this.owner,
        this.options.leaseMs,
      );
    });
  }

  /** Keeps this replica's turns leased while they run (an LLM call can take tens of seconds). */
  async renew(conversationIds: string[]): Promise<void> {
    if (!conversationIds.length) return;
    await this.db.$executeRawUnsafe(
      `update conversations set turn_lease_until = $1::timestamptz + make_interval(secs => $2::float8 / 1000) where id = any($3::text[]) and turn_owner = $4 and turn_active`,
      this.now(),
      this.options.leaseMs,
      conversationIds,
      this.owner,
    );
  }

  /** The turn is over; a message that came in meanwhile left turn_requested_at set, so another follows. */
  async finish(conversationId: string): Promise<void> {
    await this.db.$executeRawUnsafe(
      `update conversations set turn_active = false, turn_owner = null, turn_lease_until = null where id = $1 and turn_owner = $2`,
      conversationId,
      this.owner,
    );
  }

  /** The turn could not go on now (the LLM or the provider is unavailable): it resumes after `delayMs`. */
  async postpone(conversationId: string, delayMs: number): Promise<void> {
    await this.db.$executeRawUnsafe(
      `update conversations set turn_owner = null, turn_lease_until = null, turn_not_before = $3::timestamptz + make_interval(secs => $4::float8 / 1000) where id = $1 and turn_owner = $2`,
      conversationId,
      this.owner,
      this.now(),
      delayMs,
    );
  }

  /** When the next conversation becomes claimable, so the worker sleeps exactly that long. */
  async nextDueAt(): Promise<Date | undefined> {
    const [row] = await this.db.$queryRawUnsafe<{ due: Date | null }[]>(
      `select min(greatest(coalesce(turn_requested_at + make_interval(secs => $1::float8 / 1000), turn_lease_until, now()), coalesce(turn_not_before, '-infinity'), coalesce(turn_lease_until, '-infinity'))) as due
         from conversations where turn_requested_at is not null or turn_active`,
      this.options.quietMs,
    );
    return row?.due ?? undefined;
  }
}
