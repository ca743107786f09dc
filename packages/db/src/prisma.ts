import { PrismaPg } from "@prisma/adapter-pg";

export interface PrismaOptions {
  /** Pool size per process; Prisma and our own `pg` code share the server's connection budget. */
  max?: number;
}

// Prisma's defaults (2 s to get a connection, 5 s per interactive transaction) turn a busy moment
// (a bulk import beside live traffic) into failed requests; waiting longer degrades to latency.
const TRANSACTION_OPTIONS = { maxWait: 10_000, timeout: 30_000 };

/** Builds a service's generated PrismaClient on the `pg` driver adapter. */
export function createPrisma<T>(
  PrismaClient: new (options: { adapter: PrismaPg; transactionOptions: typeof TRANSACTION_OPTIONS }) => T,
  url: string,
  { max = 10 }: PrismaOptions = {},
): T {
  return new PrismaClient({ adapter: new PrismaPg({ connectionString: url, max }), transactionOptions: TRANSACTION_OPTIONS });
}
