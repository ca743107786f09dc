import { parseArgs } from "node:util";
import { analysis, analysisReport, llmRequestsMatch } from "./analysis";
import { dialer, dialerReport } from "./dialer";
import { report } from "./load";
import { restRead } from "./rest-read";
import { webhookIngest } from "./webhook-ingest";
import { whatsappBench, whatsappReport } from "./whatsapp";

const USAGE = `usage: npm run bench -- <scenario> [--duration <seconds>] [--connections <n>] [--calls <n>] [--concurrency <n>] [--leads <n>] [--cap <n>] [--baseline-seconds <n>] [--messages <n>] [--rate <n>]
scenarios:
  rest-read        GET /v1/leads/{id} through the gateway vs a bare Fastify + pg route
  webhook-ingest   signed Vapi webhooks through the gateway to a JetStream ack vs a bare Fastify route
  analysis         --calls voice.call_ended events (default 500) analysed against the OpenAI fake at 800 ms,
                   at ANALYSIS_CONCURRENCY --concurrency (default 4), vs the ceiling concurrency ÷ latency
  dialer           a campaign of --leads (default 2000) through three voice replicas at --cap (default 50),
                   vs a naive 10-second poller for --baseline-seconds (default 60)
  whatsapp         --messages (default 300) inbound WhatsApp messages at --rate per second (default 10) to an
                   agent reply, LLM time excluded, vs a bare Fastify route answering at once`;

const { positionals, values } = parseArgs({
  args: process.argv.slice(2),
  allowPositionals: true,
  options: {
    duration: { type: "string", default: "10" },
    connections: { type: "string", default: "16" },
    calls: { type: "string", default: "500" },
    concurrency: { type: "string", default: "4" },
    leads: { type: "string", default: "2000" },
    cap: { type: "string", default: "50" },
    "baseline-seconds": { type: "string", default: "60" },
    messages: { type: "string", default: "300" },
    rate: { type: "string", default: "10" },
  },
});
const options = { durationSeconds: Number(values.duration), connections: Number(values.connections) };
const analysisOptions = { calls: Number(values.calls), concurrency: Number(values.concurrency) };
const dialerOptions = { leads: Number(values.leads), cap: Number(values.cap), baselineSeconds: Number(values["baseline-seconds"]) };
const within = (n: number, min: number, max: number) => Number.isInteger(n) && n >= min && n <= max;
if (!within(options.durationSeconds, 1, 120) || !within(options.connections, 1, Infinity) || !within(analysisOptions.calls, 1, 10_000) || !within(analysisOptions.concurrency, 1, 256)) {
  console.error(`--duration must be 1..120, --connections a positive integer, --calls 1..10000 and --concurrency 1..256\n\n${USAGE}`);
  process.exit(2);
}
switch (positionals[0]) {
  case "rest-read":
    console.log(report("rest-read", await restRead(options), options));
    break;
  case "webhook-ingest":
    console.log(report("webhook-ingest", await webhookIngest(options), options));
    break;
  case "dialer": {
    if (!within(dialerOptions.leads, 1, 9999) || !within(dialerOptions.cap, 1, 500) || !within(dialerOptions.baselineSeconds, 10, 600)) {
      console.error(`--leads must be 1..9999, --cap 1..500 and --baseline-seconds 10..600\n\n${USAGE}`);
      process.exit(2);
    }
    const result = await dialer(dialerOptions);
    console.log(dialerReport(result));
    if (result.parley.maxConcurrent > result.cap) process.exitCode = 1;
    break;
  }
  case "whatsapp": {
    const whatsappOptions = { messages: Number(values.messages), rate: Number(values.rate) };
    if (!within(whatsappOptions.messages, 1, 5000) || !within(whatsappOptions.rate, 1, 200)) {
      console.error(`--messages must be 1..5000 and --rate 1..200\n\n${USAGE}`);
      process.exit(2);
    }
    console.log(whatsappReport(await whatsappBench(whatsappOptions)));
    break;
  }
  case "analysis": {
    const result = await analysis(analysisOptions);
    console.log(analysisReport(result));
    if (!llmRequestsMatch(result)) process.exitCode = 1;
    break;
  }
  default:
    console.error(positionals[0] ? `unknown scenario: ${positionals[0]}\n\n${USAGE}` : USAGE);
    process.exit(2);
}
