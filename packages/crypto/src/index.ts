export * from "./keyring";
