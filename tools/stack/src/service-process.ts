import { spawn, type ChildProcess } from "node:child_process";
import { createInterface } from "node:readline";

export interface ServiceProcessSpec {
  name: string;
  /** Node arguments after the executable, e.g. ["--import", "tsx", "services/leads/src/main.ts"]. */
  args: string[];
  cwd: string;
  env: NodeJS.ProcessEnv;
  /** Polled until it answers 2xx. */
  readyUrl: string;
  onLine?: (service: string, line: string) => void;
}

export class ServiceExitedError extends Error {
  constructor(
    readonly service: string,
    readonly code: number | null,
    readonly lastLines: string[],
  ) {
    super(`${service} exited with code ${code} before it was ready:\n${lastLines.join("\n")}`);
    this.name = "ServiceExitedError";
  }
}

const KEEP_LINES = 400;

/** One child process of the stack: started, awaited until ready, stopped with SIGTERM (SIGKILL after a grace). */
export class ServiceProcess {
  private child?: ChildProcess;
  private exitPromise?: Promise<number | null>;
  private readonly lines: string[] = [];

  constructor(private spec: ServiceProcessSpec) {}

  get name(): string {
    return this.spec.name;
  }

  get pid(): number | undefined {
    return this.child?.pid;
  }

  get running(): boolean {
    return !!this.child && this.child.exitCode === null && this.child.signalCode === null;
  }

  /** The last lines the process wrote, for diagnostics. */
  logs(): string[] {
    return [...this.lines];
  }

  /** Resolves with the exit code once the current process ends. */
  exited(): Promise<number | null> {
    return this.exitPromise ?? Promise.resolve(null);
  }

  async start(envOverrides: NodeJS.ProcessEnv = {}, { waitReady = true, timeoutMs = 60_000 } = {}): Promise<void> {
    if (this.running) throw new Error(`${this.name} is already running`);
    // Its own process group: Ctrl-C in a terminal reaches only the launcher, which stops services in order.
    const child = spawn(process.execPath, this.spec.args, {
      cwd: this.spec.cwd,
      env: { ...this.spec.env, PARLEY_EXIT_WITH_PARENT: "1", ...envOverrides },
      // stdin stays open for the child's life; if the launcher dies, it closes and the child stops too.
      stdio: ["pipe", "pipe", "pipe"],
      detached: true,
    });
    this.child = child;
    this.exitPromise = new Promise((resolve) => child.once("exit", (code, signal) => resolve(code ?? (signal ? 128 : null))));
    for (const stream of [child.stdout, child.stderr]) {
      createInterface({ input: stream! }).on("line", (line) => {
        this.lines.push(line);
        if (this.lines.length > KEEP_LINES) this.lines.shift();
        this.spec.onLine?.(this.name, line);
      });
    }
    if (waitReady) await this.waitReady(timeoutMs);
  }

  async waitReady(timeoutMs = 60_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    const exited = this.exited().then((code) => code);
    for (;;) {
      const done = await Promise.race([exited.then((code) => ({ code })), new Promise<undefined>((r) => setTimeout(() => r(undefined), 100))]);
      if (done) throw new ServiceExitedError(this.name, done.code, this.lines.slice(-30));
      try {
        const res = await fetch(this.spec.readyUrl, { signal: AbortSignal.timeout(1000) });
        if (res.ok) return;
      } catch {
        // not listening yet
      }
      if (Date.now() > deadline) throw new Error(`${this.name} was not ready within ${timeoutMs} ms:\n${this.lines.slice(-30).join("\n")}`);
    }
  }

  /** SIGTERM and wait for the service's own ordered shutdown; SIGKILL if it overruns. */
  async stop(graceMs = 15_000): Promise<number | null> {
    if (!this.running) return this.child?.exitCode ?? null;
    this.child!.kill("SIGTERM");
    const timer = setTimeout(() => this.child?.kill("SIGKILL"), graceMs);
    try {
      return await this.exited();
    } finally {
      clearTimeout(timer);
    }
  }

  /** A crash: no shutdown, nothing flushed. */
  async kill(): Promise<void> {
    if (!this.running) return;
    this.child!.kill("SIGKILL");
    await this.exited();
  }

  async restart(envOverrides: NodeJS.ProcessEnv = {}): Promise<void> {
    await this.stop();
    await this.start(envOverrides);
  }
}
