import { defineConfig } from "prisma/config";

// Prisma 7 reads the connection from here only for CLI commands; the service passes its own URL.
export default defineConfig({
  schema: "prisma/schema.prisma",
  datasource: { url: process.env.DATABASE_URL ?? "postgres://postgres@127.0.0.1:5432/parley_retention" },
});
