export * from "./database";
export * from "./migrate";
export * from "./prisma";
export * from "./schema-agreement";
