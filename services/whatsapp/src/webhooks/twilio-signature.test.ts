import { test } from "node:test";
import assert from "node:assert/strict";
import { twilioSignature, validTwilioSignature } from "./twilio-signature";

// The worked example of Twilio's security documentation.
const url = "https://mycompany.com/myapp.php?foo=1&bar=2";
const params = { CallSid: "CA1234567890ABCDE", Caller: "+12349013030", Digits: "1234", From: "+12349013030", To: "+18005551212" };

test("matches Twilio's documented example", () => {
  assert.equal(twilioSignature("12345", url, params), "0/KCTR6DLpKmkAf8muzZqo1nDgQ=");
});

test("any change to the URL, a parameter or the token is refused", () => {
  const signature = twilioSignature("12345", url, params);
  assert.equal(validTwilioSignature("12345", url, params, signature), true);
  assert.equal(validTwilioSignature("12345", `${url}&x=1`, params, signature), false);
  assert.equal(validTwilioSignature("12345", url, { ...params, Digits: "1235" }, signature), false);
  assert.equal(validTwilioSignature("54321", url, params, signature), false);
  assert.equal(validTwilioSignature("12345", url, params, ""), false);
});
