// Readable, prefixed lines for `npm start`: the services log JSON (for machines); people get this.
const LEVELS: Record<number | string, string> = { 10: "TRACE", 20: "DEBUG", 30: "INFO ", 40: "WARN ", 50: "ERROR", 60: "FATAL", info: "INFO ", warn: "WARN ", error: "ERROR", debug: "DEBUG" };
const COLORS = ["\x1b[36m", "\x1b[35m", "\x1b[32m", "\x1b[33m", "\x1b[34m", "\x1b[96m", "\x1b[95m", "\x1b[92m"];
const RESET = "\x1b[0m";
const OMIT = new Set(["level", "time", "msg", "service", "pid", "hostname"]);

export function createLineFormatter(names: string[], color = process.stdout.isTTY ?? false): (service: string, line: string) => string {
  const width = Math.max(...names.map((n) => n.length), 9);
  return (service, line) => {
    const tint = color ? COLORS[Math.abs(hash(service)) % COLORS.length] : "";
    const prefix = `${tint}${service.padEnd(width)}${color ? RESET : ""} |`;
    let parsed: Record<string, unknown>;
    try {
      parsed = JSON.parse(line) as Record<string, unknown>;
    } catch {
      return `${prefix} ${line}`;
    }
    const time = typeof parsed.time === "string" ? parsed.time.slice(11, 19) : new Date().toISOString().slice(11, 19);
    const level = LEVELS[parsed.level as number] ?? String(parsed.level ?? "").toUpperCase();
    const fields = Object.entries(parsed)
      .filter(([k]) => !OMIT.has(k))
      .map(([k, v]) => `${k}=${typeof v === "string" ? v : JSON.stringify(v)}`)
      .join(" ");
    return `${prefix} ${time} ${level} ${String(parsed.msg ?? "")}${fields ? `  ${fields}` : ""}`;
  };
}

function hash(s: string): number {
  let h = 0;
  for (const ch of s) h = (h * 31 + ch.charCodeAt(0)) | 0;
  return h;
}
