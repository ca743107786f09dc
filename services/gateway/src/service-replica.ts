// A service replica in a process of its own, for tests that kill one with SIGKILL mid-work.
import { spawn, type ChildProcess } from "node:child_process";
import { fileURLToPath } from "node:url";
import { freePort } from "@parley/testing";

export type ReplicatedService = "voice" | "whatsapp";

export class ServiceReplica {
  private child?: ChildProcess;
  private stderr = "";

  private constructor(
    private readonly service: ReplicatedService,
    readonly grpcAddress: string,
    private readonly env: Record<string, string>,
  ) {}

  static async start(service: ReplicatedService, env: Record<string, string>): Promise<ServiceReplica> {
    const grpcPort = await freePort();
    const httpPort = await freePort();
    const replica = new ServiceReplica(service, `127.0.0.1:${grpcPort}`, { ...env, GRPC_PORT: String(grpcPort), HTTP_PORT: String(httpPort) });
    await replica.launch();
    return replica;
  }

  /** Starts (again) and waits until /readyz says ready. */
  async launch(): Promise<void> {
    this.stderr = "";
    // stdin stays open for the replica's life: if the test process dies without stopping it, stdin
    // closes and the replica exits instead of working on as an orphan.
    const main = fileURLToPath(new URL(`../../${this.service}/src/main.ts`, import.meta.url));
    const child = spawn(process.execPath, ["--import", "tsx", main], { env: { ...process.env, ...this.env, PARLEY_EXIT_WITH_PARENT: "1" }, stdio: ["pipe", "ignore", "pipe"] });
    child.stderr!.on("data", (chunk: Buffer) => (this.stderr = (this.stderr + chunk.toString()).slice(-4000)));
    this.child = child;
    // Generous: a replica compiles its TypeScript on start, which takes long on a busy machine.
    const deadline = Date.now() + 90_000;
    for (;;) {
      if (child.exitCode !== null) throw new Error(`${this.service} replica exited with ${child.exitCode}: ${this.stderr}`);
      const ready = await fetch(`http://127.0.0.1:${this.env.HTTP_PORT}/readyz`).then((r) => r.ok, () => false);
      if (ready) return;
      if (Date.now() > deadline) throw new Error(`${this.service} replica not ready after 90 s: ${this.stderr}`);
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
