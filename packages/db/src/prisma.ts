import { PrismaPg } from "@prisma/adapter-pg";

export interface PrismaOptions {
  /** Pool size per process; Prisma and our own `pg` code share the server's connection budget. */
  max?: number;
}

/** Builds a service's generated PrismaClient on the `pg` driver adapter. */
export function createPrisma<T>(
  PrismaClient: new (options: { adapter: PrismaPg }) => T,
  url: string,
  { max = 10 }: PrismaOptions = {},
): T {
  return new PrismaClient({ adapter: new PrismaPg({ connectionString: url, max }) });
}
