export * from "./domain-errors";
export * from "./grpc-status";
export * from "./problem";
