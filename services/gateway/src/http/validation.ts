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
 * Uploads (non-JSON bodies declared per media type) are not validated here.
 */
export function registerValidation(app: FastifyInstance): void {
  const body = ajv({ coerceTypes: false });
  const text = ajv({ coerceTypes: "array" });
  app.setValidatorCompiler(({ schema, httpPart, contentType }) => {
    // A body in another media type (a CSV upload) is a stream the route reads itself: its schema documents it.
    if (httpPart === "body" && contentType && !contentType.endsWith("json")) return () => true;
    return (httpPart === "body" ? body : text).compile(schema);
  });
}
