import type pg from "pg";
import type { SqlTx, TxRunner } from "./types";

function sqlTx(client: pg.PoolClient): SqlTx {
  return {
    $executeRawUnsafe: async (query, ...values) => (await client.query(query, values)).rowCount ?? 0,
    $queryRawUnsafe: async <T>(query: string, ...values: unknown[]) => (await client.query(query, values)).rows as T,
  };
}

/** Transactions on a plain pg pool, for code that has no Prisma client (the gateway, tools, tests). */
export function pgTxRunner(pool: pg.Pool): TxRunner {
  return {
    async transaction(fn) {
      const client = await pool.connect();
      try {
        await client.query("begin");
        const result = await fn(sqlTx(client));
        await client.query("commit");
        return result;
      } catch (err) {
        await client.query("rollback").catch(() => undefined);
        throw err;
      } finally {
        client.release();
      }
    },
  };
}
