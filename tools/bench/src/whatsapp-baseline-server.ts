// The baseline for `whatsapp`: a bare Fastify route that takes Twilio's inbound webhook and answers
// at once through Twilio's Messages API (the simulator's). No verification, no bus, no database, no
// lead, no agent: the floor an inbound → reply path cannot go under on this machine.
import Fastify from "fastify";

const port = Number(process.env.BASELINE_PORT);
const simulatorUrl = process.env.BASELINE_SIMULATOR_URL;
const accountSid = process.env.BASELINE_ACCOUNT_SID;
const authToken = process.env.BASELINE_AUTH_TOKEN;
if (!port || !simulatorUrl || !accountSid || !authToken) throw new Error("BASELINE_PORT, BASELINE_SIMULATOR_URL, BASELINE_ACCOUNT_SID and BASELINE_AUTH_TOKEN are required");
const authorization = `Basic ${Buffer.from(`${accountSid}:${authToken}`).toString("base64")}`;

const app = Fastify({ logger: false });
app.addContentTypeParser("application/x-www-form-urlencoded", { parseAs: "string" }, (_request, body, done) => done(null, Object.fromEntries(new URLSearchParams(body as string))));

app.post<{ Body: Record<string, string> }>("/webhooks/twilio/whatsapp", async (request, reply) => {
  const { From: from = "", To: to = "" } = request.body;
  const sent = await fetch(`${simulatorUrl}/twilio/2010-04-01/Accounts/${accountSid}/Messages.json`, {
    method: "POST",
    headers: { authorization, "content-type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams({ From: to, To: from, Body: "Thanks! How else can I help?" }).toString(),
  });
  await sent.body?.cancel();
  return reply.code(sent.ok ? 200 : 502).type("text/xml").send("<Response></Response>");
});

await app.listen({ port, host: "127.0.0.1" });
process.stdout.write(`${JSON.stringify({ address: `http://127.0.0.1:${port}` })}\n`);
process.on("SIGTERM", () => void app.close().then(() => process.exit(0)));
