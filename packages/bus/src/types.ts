/** What the bus needs of a transaction: raw SQL. A Prisma interactive transaction client fits. */
export interface SqlTx {
  $executeRawUnsafe(query: string, ...values: unknown[]): Promise<number>;
  $queryRawUnsafe<T = unknown>(query: string, ...values: unknown[]): Promise<T>;
}

export interface TxRunner {
  transaction<R>(fn: (tx: SqlTx) => Promise<R>): Promise<R>;
}

export interface InboundEvent {
  /** The producer's event id (also the message's Nats-Msg-Id), the key of the consumer's inbox. */
  id: string;
  /** `<domain>.<event>`, e.g. `leads.lead_created`. */
  type: string;
  /** The subject without the deployment prefix. */
  subject: string;
  workspaceId: string;
  data: Uint8Array;
  headers: Record<string, string>;
  deliveryCount: number;
}
