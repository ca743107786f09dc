// The staged upload read back as one byte stream, a few chunks per query: whoever reads it never
// holds the whole file.
import { Readable } from "node:stream";
import type pg from "pg";

const CHUNKS_PER_QUERY = 4;

export function storedFile(pool: pg.Pool, importId: string): Readable {
  async function* chunks(): AsyncGenerator<Buffer> {
    for (let next = 0; ; ) {
      const { rows } = await pool.query<{ seq: number; data: Buffer }>(
        "select seq, data from lead_import_chunks where import_id = $1 and seq >= $2 order by seq limit $3",
        [importId, next, CHUNKS_PER_QUERY],
      );
      for (const row of rows) yield row.data;
      if (rows.length < CHUNKS_PER_QUERY) return;
      next = rows[rows.length - 1]!.seq + 1;
    }
  }
  return Readable.from(chunks(), { objectMode: false });
}
