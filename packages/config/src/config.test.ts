import { test } from "node:test";
import assert from "node:assert/strict";
import { z } from "zod";
import { ConfigError, env, loadConfig } from "./index";

const schema = z.object({ PORT: env.port(8080), DEBUG: env.bool(false), API_URL: env.url() });

test("applies defaults and coerces types", () => {
  const cfg = loadConfig(schema, { API_URL: "http://x.test" });
  assert.deepEqual(cfg, { PORT: 8080, DEBUG: false, API_URL: "http://x.test" });
});

test("treats empty strings as unset", () => {
  const cfg = loadConfig(schema, { API_URL: "http://x.test", PORT: "" });
  assert.equal(cfg.PORT, 8080);
});

test("fails naming every bad variable and never its value", () => {
  assert.throws(
    () => loadConfig(schema, { PORT: "seventy", DEBUG: "maybe", API_URL: "sk_live_secret" }),
    (err: unknown) => {
      assert.ok(err instanceof ConfigError);
      assert.deepEqual(err.issues.map((i) => i.variable).sort(), ["API_URL", "DEBUG", "PORT"]);
      assert.ok(!err.message.includes("sk_live_secret"));
      return true;
    },
  );
});

test("reports a missing required variable", () => {
  assert.throws(() => loadConfig(schema, {}), /API_URL/);
});
