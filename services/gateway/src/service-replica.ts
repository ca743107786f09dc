// A voice replica in a process of its own, for tests that kill one with SIGKILL mid-campaign.
import { spawn, type ChildProcess } from "node:child_process";
import { fileURLToPath } from "node:url";
import { freePort } from "@parley/testing";

const MAIN = fileURLToPath(new URL("../../voice/src/main.ts", import.meta.url));

export class VoiceReplica {
  private child?: ChildProcess;
  private stderr = "";

  private constructor(
    readonly grpcAddress: string,
    private readonly env: Record<string, string>,
  ) {}

  static async start(env: Record<string, string>): Promise<VoiceReplica> {
    const grpcPort = await freePort();
    const httpPort = await freePort();
    const replica = new VoiceReplica(`127.0.0.1:${grpcPort}`, { ...env, GRPC_PORT: String(grpcPort), HTTP_PORT: String(httpPort) });
    await replica.launch();
    return replica;
  }

  /** Starts (again) and waits until /readyz says ready. */
  async launch(): Promise<void> {
    this.stderr = "";
    // stdin stays open for the replica's life: if the test process dies without stopping it, stdin
    // closes and the replica exits instead of dialing on as an orphan.
    const child = spawn(process.execPath, ["--import", "tsx", MAIN], { env: { ...process.env, ...this.env, PARLEY_EXIT_WITH_PARENT: "1" }, stdio: ["pipe", "ignore", "pipe"] });
    child.stderr!.on("data", (chunk: Buffer) => (this.stderr = (this.stderr + chunk.toString()).slice(-4000)));
    this.child = child;
    // Generous: a replica compiles its TypeScript on start, which takes long on a busy machine.
    const deadline = Date.now() + 90_000;
    for (;;) {
      if (child.exitCode !== null) throw new Error(`voice replica exited with ${child.exitCode}: ${this.stderr}`);
      const ready = await fetch(`http://127.0.0.1:${this.env.HTTP_PORT}/readyz`).then((r) => r.ok, () => false);
      if (ready) return;
      if (Date.now() > deadline) throw new Error(`voice replica not ready after 90 s: ${this.stderr}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  /** SIGKILL: no shutdown at all, as when a node dies. */
  async kill(): Promise<void> {
    await this.signal("SIGKILL");
  }

  async stop(): Promise<void> {
    await this.signal("SIGTERM");
  }

  private async signal(signal: NodeJS.Signals): Promise<void> {
    const child = this.child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((resolve) => child.once("exit", resolve));
    child.kill(signal);
    await exited;
  }
}
