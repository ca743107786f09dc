// The baseline for `rest-read`: a bare Fastify route reading the same row with `pg`, no auth, no
// gRPC hop, no Prisma. Started as its own process so it competes for the CPU like the real stack.
import Fastify from "fastify";
import pg from "pg";

const url = process.env.BASELINE_DATABASE_URL;
if (!url) throw new Error("BASELINE_DATABASE_URL is required");
const pool = new pg.Pool({ connectionString: url, max: 10 });
const app = Fastify({ logger: false });

app.get<{ Params: { id: string } }>("/leads/:id", async (req, reply) => {
  const { rows } = await pool.query("select * from leads where id = $1", [req.params.id]);
  if (!rows[0]) return reply.code(404).send({ title: "Not Found" });
  return rows[0];
});

const address = await app.listen({ port: 0, host: "127.0.0.1" });
process.stdout.write(`${JSON.stringify({ address })}\n`);
process.on("SIGTERM", () => {
  void app.close().then(() => pool.end()).then(() => process.exit(0));
});
