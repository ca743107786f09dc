import { test } from "node:test";
import assert from "node:assert/strict";
import { DomainError, toGrpcError } from "@parley/errors";
import { MessagingProviderError, providerError, statusErrorReason } from "./errors";

test("a failed status's error code gives the same reason as a refused send", () => {
  const cases: [Parameters<typeof statusErrorReason>, string][] = [
    [["twilio", "63016"], "window_closed"],
    [["twilio", "21610"], "unsubscribed"],
    [["twilio", "63018"], "rate_limited"],
    [["twilio", "63024"], "invalid_recipient"],
    [["twilio", "30006"], "invalid_recipient"],
    [["twilio", "63041"], "template_invalid"],
    [["twilio", "30008"], "rejected"],
    [["meta", "131047"], "window_closed"],
    [["meta", 131050], "unsubscribed"],
    [["meta", "131056"], "rate_limited"],
    [["meta", "131026"], "invalid_recipient"],
    [["meta", "132001"], "template_invalid"],
    [["meta", "131000"], "unavailable"],
    [["meta", "131049"], "rejected"],
    // Codes belong to their provider: Twilio's window code means nothing to Meta.
    [["meta", "63016"], "rejected"],
    [["twilio", "131047"], "rejected"],
    [["twilio", undefined], "rejected"],
    [["meta", ""], "rejected"],
    [["meta", "abc"], "rejected"],
  ];
  for (const [args, reason] of cases) assert.equal(statusErrorReason(...args), reason, JSON.stringify(args));
});

test("a refusal is a DomainError whose gRPC status and details say what to do", () => {
  const throttled = providerError("meta", { code: 130429, httpStatus: 400, message: "(#130429) Rate limit hit", retryAfterMs: 2000 });
  assert.ok(throttled instanceof MessagingProviderError && throttled instanceof DomainError);
  assert.equal(throttled.name, "MessagingProviderError");
  assert.equal(throttled.kind, "resource_exhausted");
  assert.deepEqual(throttled.details, { provider: "meta", reason: "rate_limited", provider_code: "130429", retryable: true, provider_status: 400, retry_after_ms: 2000 });

  const windowClosed = providerError("twilio", { code: 63016, httpStatus: 400, message: "outside the window" });
  assert.equal(windowClosed.kind, "failed_precondition");
  assert.equal(toGrpcError(windowClosed).details, "twilio: outside the window");

  const outage = providerError("twilio", { httpStatus: 503, message: "down" });
  assert.deepEqual([outage.reason, outage.kind, outage.code, outage.retryable], ["unavailable", "unavailable", "http_503", true]);

  const refused = providerError("meta", { code: 100, httpStatus: 400, message: "Invalid parameter" });
  assert.deepEqual([refused.reason, refused.kind, refused.retryable], ["rejected", "upstream_failed", false]);
});
