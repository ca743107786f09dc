export * from "./server";
export * from "./client";
export * from "./types";
export * from "./health-client";
