import { runMain } from "@parley/service";
import { startLeadsService } from "./app";

runMain("leads", () => startLeadsService());
