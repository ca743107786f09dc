import { runMain } from "@parley/service";
import { startAnalyticsService } from "./app";

runMain("analytics", () => startAnalyticsService());
