export * from "./kinds";
export * from "./store";
export * from "./rpcs";
export * from "./keyring-env";
