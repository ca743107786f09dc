export * from "./ops-server";
export * from "./run-service";
export * from "./process";
export * from "./readiness";
