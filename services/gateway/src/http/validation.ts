import type { FastifyInstance } from "fastify";
import { Ajv, type Options } from "ajv";
import addFormats from "ajv-formats";

function ajv(options: Options): Ajv {
  const instance = new Ajv({ allErrors: true, removeAdditional: false, useDefaults: true, strict: false, ...options });
  addFormats.default(instance);
  return instance;
}

/**
 * Bodies are validated as sent: `"tags": "vip"` or `"name": null` must not be coerced into
 * something else. Query strings, params and headers are text, so they are coerced (`?limit=20`).
 */
export function registerValidation(app: FastifyInstance): void {
  const body = ajv({ coerceTypes: false });
  const text = ajv({ coerceTypes: "array" });
  app.setValidatorCompiler(({ schema, httpPart }) => (httpPart === "body" ? body : text).compile(schema));
}
