// Checks that a service's Prisma schema and its migrated database describe the same tables.
// Prisma's own `migrate diff` needs the schema engine, which cannot be downloaded here, so this
// reads the subset of the schema language we use and compares it with information_schema.
import pg from "pg";

export interface ColumnSpec {
  name: string;
  type: string;
  nullable: boolean;
}

export interface TableSpec {
  name: string;
  columns: ColumnSpec[];
}

const SCALAR_TYPES: Record<string, string> = {
  String: "text",
  Int: "integer",
  BigInt: "bigint",
  Boolean: "boolean",
  DateTime: "timestamp(3) without time zone",
  Json: "jsonb",
  Float: "double precision",
  Decimal: "numeric",
  Bytes: "bytea",
};

const NATIVE_TYPES: Record<string, (arg?: string) => string> = {
  Text: () => "text",
  Uuid: () => "uuid",
  VarChar: (n) => (n ? `character varying(${n})` : "character varying"),
  Char: (n) => `character(${n ?? 1})`,
  Timestamptz: (p) => `timestamp(${p ?? 6}) with time zone`,
  Timestamp: (p) => `timestamp(${p ?? 6}) without time zone`,
  Date: () => "date",
  Integer: () => "integer",
  SmallInt: () => "smallint",
  BigInt: () => "bigint",
  JsonB: () => "jsonb",
  Json: () => "json",
  Citext: () => "citext",
  Inet: () => "inet",
  DoublePrecision: () => "double precision",
  ByteA: () => "bytea",
  Decimal: (a) => (a ? `numeric(${a.replace(/\s/g, "")})` : "numeric"),
};

/** Tables and columns declared by the models of a Prisma schema (relations and enums excluded from columns). */
export function parsePrismaSchema(source: string): TableSpec[] {
  const stripped = source.replace(/\/\/.*$/gm, "");
  const enums = new Set([...stripped.matchAll(/^\s*enum\s+(\w+)\s*\{/gm)].map((m) => m[1]!));
  const modelNames = new Set([...stripped.matchAll(/^\s*model\s+(\w+)\s*\{/gm)].map((m) => m[1]!));
  const tables: TableSpec[] = [];
  for (const block of stripped.matchAll(/^\s*model\s+(\w+)\s*\{([\s\S]*?)^\s*\}/gm)) {
    const [, modelName, body] = block as unknown as [string, string, string];
    const mapped = /@@map\("([^"]+)"\)/.exec(body);
    const columns: ColumnSpec[] = [];
    for (const line of body.split("\n")) {
      const m = /^\s*(\w+)\s+(\w+)(\[\])?(\?)?(.*)$/.exec(line);
      if (!m) continue;
      const [, field, type, list, optional, attrs] = m as unknown as [string, string, string, string | undefined, string | undefined, string];
      if (modelNames.has(type) || attrs.includes("@relation")) continue;
      const column = /@map\("([^"]+)"\)/.exec(attrs)?.[1] ?? field;
      const native = /@db\.(\w+)(?:\(([^)]*)\))?/.exec(attrs);
      let sqlType: string;
      if (enums.has(type)) sqlType = `enum:${type}`;
      else if (native) {
        const make = NATIVE_TYPES[native[1]!];
        if (!make) throw new Error(`unsupported native type @db.${native[1]} on ${modelName}.${field}`);
        sqlType = make(native[2]);
      } else sqlType = SCALAR_TYPES[type] ?? `unknown:${type}`;
      if (list) sqlType += "[]";
      columns.push({ name: column, type: sqlType, nullable: Boolean(optional) });
    }
    tables.push({ name: mapped?.[1] ?? modelName, columns });
  }
  return tables;
}

interface DbColumnRow {
  table_name: string;
  column_name: string;
  is_nullable: "YES" | "NO";
  data_type: string;
  udt_name: string;
  character_maximum_length: number | null;
  datetime_precision: number | null;
  numeric_precision: number | null;
  numeric_scale: number | null;
}

function describeDbType(row: DbColumnRow): string {
  const isArray = row.data_type === "ARRAY";
  const udt = isArray ? row.udt_name.replace(/^_/, "") : row.udt_name;
  const base = (() => {
    switch (udt) {
      case "text":
        return "text";
      case "varchar":
        return row.character_maximum_length ? `character varying(${row.character_maximum_length})` : "character varying";
      case "bpchar":
        return `character(${row.character_maximum_length ?? 1})`;
      case "int4":
        return "integer";
      case "int8":
        return "bigint";
      case "int2":
        return "smallint";
      case "bool":
        return "boolean";
      case "float8":
        return "double precision";
      case "timestamptz":
        return `timestamp(${row.datetime_precision ?? 6}) with time zone`;
      case "timestamp":
        return `timestamp(${row.datetime_precision ?? 6}) without time zone`;
      case "numeric":
        return row.numeric_precision ? `numeric(${row.numeric_precision},${row.numeric_scale ?? 0})` : "numeric";
      default:
        return row.data_type === "USER-DEFINED" ? `enum:${udt}` : udt;
    }
  })();
  return isArray ? `${base}[]` : base;
}

export async function readDatabaseTables(url: string, ignore: (table: string) => boolean): Promise<TableSpec[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const { rows } = await client.query<DbColumnRow>(
      `select c.table_name, c.column_name, c.is_nullable, c.data_type, c.udt_name, c.character_maximum_length,
              c.datetime_precision, c.numeric_precision, c.numeric_scale
         from information_schema.columns c
         join information_schema.tables t on t.table_schema = c.table_schema and t.table_name = c.table_name
        where c.table_schema = current_schema() and t.table_type = 'BASE TABLE'
        order by c.table_name, c.ordinal_position`,
    );
    const tables = new Map<string, TableSpec>();
    for (const row of rows) {
      if (ignore(row.table_name)) continue;
      const table = tables.get(row.table_name) ?? { name: row.table_name, columns: [] };
      table.columns.push({ name: row.column_name, type: describeDbType(row), nullable: row.is_nullable === "YES" });
      tables.set(row.table_name, table);
    }
    return [...tables.values()];
  } finally {
    await client.end();
  }
}

/** Differences between the Prisma schema and the database, as readable lines; empty when they agree. */
export function compareSchemas(prisma: TableSpec[], db: TableSpec[], enumTypeName = (e: string) => e): string[] {
  const problems: string[] = [];
  const dbTables = new Map(db.map((t) => [t.name, t]));
  for (const table of prisma) {
    const dbTable = dbTables.get(table.name);
    if (!dbTable) {
      problems.push(`table ${table.name}: in the Prisma schema, missing in the database`);
      continue;
    }
    dbTables.delete(table.name);
    const dbColumns = new Map(dbTable.columns.map((c) => [c.name, c]));
    for (const col of table.columns) {
      const dbCol = dbColumns.get(col.name);
      if (!dbCol) {
        problems.push(`column ${table.name}.${col.name}: in the Prisma schema, missing in the database`);
        continue;
      }
      dbColumns.delete(col.name);
      const expected = col.type.startsWith("enum:") ? `enum:${enumTypeName(col.type.slice(5))}` : col.type;
      if (expected !== dbCol.type) problems.push(`column ${table.name}.${col.name}: Prisma says ${expected}, database has ${dbCol.type}`);
      if (col.nullable !== dbCol.nullable)
        problems.push(`column ${table.name}.${col.name}: Prisma says ${col.nullable ? "nullable" : "not null"}, database disagrees`);
    }
    for (const extra of dbColumns.keys()) problems.push(`column ${table.name}.${extra}: in the database, missing in the Prisma schema`);
  }
  for (const extra of dbTables.keys()) problems.push(`table ${extra}: in the database, missing in the Prisma schema`);
  return problems;
}

/** Tables that are not described by a service's Prisma schema: the migration ledger and the bus's own tables. */
export const infrastructureTable = (table: string): boolean => table === "schema_migrations" || table.startsWith("bus_");
