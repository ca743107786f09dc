import { runMain } from "@parley/service";
import { startRetentionService } from "./app";

runMain("retention", () => startRetentionService());
