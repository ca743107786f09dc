import { parseArgs } from "node:util";
import { report } from "./load";
import { restRead } from "./rest-read";
import { webhookIngest } from "./webhook-ingest";

const USAGE = `usage: npm run bench -- <scenario> [--duration <seconds>] [--connections <n>]
scenarios:
  rest-read        GET /v1/leads/{id} through the gateway vs a bare Fastify + pg route
  webhook-ingest   signed Vapi webhooks through the gateway to a JetStream ack vs a bare Fastify route`;

const { positionals, values } = parseArgs({
  args: process.argv.slice(2),
  allowPositionals: true,
  options: { duration: { type: "string", default: "10" }, connections: { type: "string", default: "16" } },
});
const options = { durationSeconds: Number(values.duration), connections: Number(values.connections) };
if (!Number.isInteger(options.durationSeconds) || options.durationSeconds < 1 || options.durationSeconds > 120 || !Number.isInteger(options.connections) || options.connections < 1) {
  console.error(`--duration must be 1..120 and --connections a positive integer\n\n${USAGE}`);
  process.exit(2);
}
switch (positionals[0]) {
  case "rest-read":
    console.log(report("rest-read", await restRead(options), options));
    break;
  case "webhook-ingest":
    console.log(report("webhook-ingest", await webhookIngest(options), options));
    break;
  default:
    console.error(positionals[0] ? `unknown scenario: ${positionals[0]}\n\n${USAGE}` : USAGE);
    process.exit(2);
}
