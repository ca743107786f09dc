import { runMain } from "@parley/service";
import { startGateway } from "./app";

runMain("gateway", () => startGateway());
