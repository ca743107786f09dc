import { isObject, obj, type Json } from "../voice/wire";

export type JsonSchema = Json;

/** Where the filler's values come from; a field is named by its property name (an array's items by the array's). */
export interface ValueSource {
  /** Values the rules want for the field, best first; the first the schema accepts is used. */
  preferred(field: string): readonly unknown[];
  /** Whether the text affirms (true) or denies (false) the field, or does not tell (undefined). */
  flag(field: string): boolean | undefined;
  /** A number the text gives next to the field's words. */
  numberFor(field: string): number | undefined;
  /** The first number anywhere in the text. */
  anyNumber(): number | undefined;
  /** The first of the options the text mentions. */
  mentionedOption(options: readonly string[]): string | undefined;
  /** A string the text gives for the field (an email, a date-time), by its name or format. */
  textFor(field: string, format: string | undefined): string | undefined;
  /** A string of the right form for a field the text tells nothing about and that cannot be null. */
  placeholder(field: string, format: string | undefined): string;
}

type ShapeType = "object" | "array" | "string" | "number" | "integer" | "boolean" | "null";
const SHAPE_TYPES: readonly string[] = ["object", "array", "string", "number", "integer", "boolean", "null"];
const isShapeType = (t: unknown): t is ShapeType => typeof t === "string" && SHAPE_TYPES.includes(t);

/** A schema reduced to what filling needs: `anyOf: [X, {type: "null"}]`, `type: [X, "null"]` and an enum holding null all become a nullable X. */
interface Shape {
  type: ShapeType;
  nullable: boolean;
  options?: readonly unknown[];
  schema: JsonSchema;
}

/** Recursive schemas ($ref to an ancestor) stop here with the emptiest valid value. */
const MAX_DEPTH = 16;

/** Follows local references (`#/$defs/x`, `#/definitions/x`), which schema generators emit for reused types. */
function deref(schema: JsonSchema, root: JsonSchema, seen = 0): JsonSchema {
  if (typeof schema.$ref !== "string" || !schema.$ref.startsWith("#") || seen > MAX_DEPTH) return schema;
  const path = schema.$ref.slice(1).split("/").filter(Boolean).map((part) => part.replace(/~1/g, "/").replace(/~0/g, "~"));
  const target = path.reduce<unknown>((node, key) => obj(node)[key], root);
  return deref(obj(target), root, seen + 1);
}

function inferredType(schema: JsonSchema, options: readonly unknown[] | undefined): ShapeType | undefined {
  if (isObject(schema.properties)) return "object";
  if (schema.items !== undefined) return "array";
  const sample = options?.[0];
  if (typeof sample === "string" || typeof sample === "boolean") return typeof sample === "string" ? "string" : "boolean";
  if (typeof sample === "number") return Number.isInteger(sample) ? "integer" : "number";
  return undefined;
}

function shapeOf(raw: unknown, root: JsonSchema): Shape {
  const schema = deref(obj(raw), root);
  const variants = schema.anyOf ?? schema.oneOf;
  if (Array.isArray(variants)) {
    const shapes = variants.map((variant) => shapeOf(variant, root));
    const nullable = shapes.some((s) => s.type === "null" || s.nullable);
    const main = shapes.find((s) => s.type !== "null");
    return main ? { ...main, nullable } : { type: "null", nullable: true, schema };
  }
  const declared = (Array.isArray(schema.type) ? schema.type : [schema.type]).filter(isShapeType);
  const enumValues: unknown[] | undefined = Array.isArray(schema.enum) ? schema.enum : "const" in schema ? [schema.const] : undefined;
  const options = enumValues?.filter((value) => value !== null);
  const nullable = declared.includes("null") || (enumValues?.includes(null) ?? false) || schema.nullable === true;
  if (options?.length === 0) return { type: "null", nullable: true, schema };
  const type = declared.find((t) => t !== "null") ?? inferredType(schema, options) ?? (nullable ? "null" : "string");
  return { type, nullable, schema, ...(options ? { options } : {}) };
}

const numberOr = (value: unknown, fallback: number) => (typeof value === "number" ? value : fallback);

/** Numbers are brought within the schema's bounds (and rounded for integers) before being offered. */
function fitted(value: unknown, shape: Shape): unknown {
  if (typeof value !== "number" || (shape.type !== "number" && shape.type !== "integer")) return value;
  const { minimum, maximum } = shape.schema;
  const bounded = Math.min(numberOr(maximum, Infinity), Math.max(numberOr(minimum, -Infinity), value));
  return shape.type === "integer" ? Math.round(bounded) : bounded;
}

function accepts(value: unknown, shape: Shape, root: JsonSchema): boolean {
  if (value === null) return shape.nullable || shape.type === "null";
  if (shape.options) return shape.options.includes(value);
  switch (shape.type) {
    case "string":
      return typeof value === "string";
    case "integer":
      return Number.isInteger(value);
    case "number":
      return typeof value === "number" && Number.isFinite(value);
    case "boolean":
      return typeof value === "boolean";
    case "array":
      return Array.isArray(value) && value.length >= numberOr(shape.schema.minItems, 0) && value.every((item) => accepts(item, shapeOf(shape.schema.items, root), root));
    case "object":
      return isObject(value);
    case "null":
      return false;
  }
}

function emptyOf(shape: Shape): unknown {
  if (shape.nullable) return null;
  if (shape.options) return shape.options[0];
  const empties: Record<ShapeType, unknown> = { object: {}, array: [], string: "", number: 0, integer: 0, boolean: false, null: null };
  return fitted(empties[shape.type], shape);
}

interface FillContext {
  root: JsonSchema;
  source: ValueSource;
}

function fillObject(schema: JsonSchema, context: FillContext, depth: number): Json {
  const properties = obj(schema.properties);
  const required = Array.isArray(schema.required) ? schema.required.filter((name): name is string => typeof name === "string") : [];
  const names = [...new Set([...Object.keys(properties), ...required])];
  return Object.fromEntries(names.map((name) => [name, fillField(properties[name], name, context, depth + 1)]));
}

function fillField(raw: unknown, field: string, context: FillContext, depth: number): unknown {
  const shape = shapeOf(raw, context.root);
  const { source } = context;
  const preferred = source.preferred(field);
  for (const candidate of preferred) {
    const value = fitted(candidate, shape);
    if (accepts(value, shape, context.root)) return value;
  }
  if (depth > MAX_DEPTH) return emptyOf(shape);
  const orNull = (value: unknown, otherwise: unknown) => value ?? (shape.nullable ? null : otherwise);
  if (shape.options) {
    // A field the rules know but whose enum lacks their values gets the first option, not a guess from the text.
    if (preferred.length) return shape.options[0];
    return orNull(source.mentionedOption(shape.options.filter((o): o is string => typeof o === "string")), shape.options[0]);
  }
  switch (shape.type) {
    case "object":
      return fillObject(shape.schema, context, depth);
    case "array": {
      const count = numberOr(shape.schema.minItems, 0);
      return Array.from({ length: count }, () => fillField(shape.schema.items, field, context, depth + 1));
    }
    case "string": {
      const format = typeof shape.schema.format === "string" ? shape.schema.format : undefined;
      return orNull(source.textFor(field, format), source.placeholder(field, format));
    }
    case "number":
    case "integer":
      return fitted(orNull(source.numberFor(field), source.anyNumber() ?? 0), shape);
    case "boolean":
      return orNull(source.flag(field), false);
    case "null":
      return null;
  }
}

/** A value valid against `schema` (the subset structured outputs allow, plus local $refs), chosen by `source`. */
export function fillSchema(schema: JsonSchema, source: ValueSource): unknown {
  return fillField(schema, "", { root: schema, source }, 0);
}
