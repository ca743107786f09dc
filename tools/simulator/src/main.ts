import { buildSimulator } from "./app";

const port = Number(process.env.SIMULATOR_PORT ?? 8090);
const host = process.env.SIMULATOR_HOST ?? "127.0.0.1";
const { app } = await buildSimulator({ parleyUrl: process.env.PARLEY_URL ?? "http://127.0.0.1:8080" });
await app.listen({ port, host });
console.log(JSON.stringify({ level: "info", time: new Date().toISOString(), service: "simulator", msg: `simulator ready on http://${host}:${port}` }));

const stop = () => void app.close().then(() => process.exit(0));
process.once("SIGTERM", stop);
process.once("SIGINT", stop);
if (process.env.PARLEY_EXIT_WITH_PARENT === "1") {
  process.stdin.resume();
  process.stdin.once("end", stop);
}
