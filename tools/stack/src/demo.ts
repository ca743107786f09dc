import { existsSync, readFileSync, writeFileSync } from "node:fs";

export interface DemoWorkspace {
  workspace_id: string;
  api_key: string;
}

/** The demo workspace, reused across runs while its key still works (same database), else created. */
export async function seedDemoWorkspace(gatewayUrl: string, adminToken: string, file: string): Promise<DemoWorkspace> {
  if (existsSync(file)) {
    const saved = JSON.parse(readFileSync(file, "utf8")) as DemoWorkspace;
    const res = await fetch(`${gatewayUrl}/v1/workspace`, { headers: { authorization: `Bearer ${saved.api_key}` } });
    if (res.ok) return saved;
  }
  const res = await fetch(`${gatewayUrl}/v1/workspaces`, {
    method: "POST",
    headers: { authorization: `Bearer ${adminToken}`, "content-type": "application/json" },
    body: JSON.stringify({
      name: "Demo Agency",
      timezone: "America/New_York",
      profile: { persona: "Sam, a friendly sales assistant", offer: "A free 20-minute growth audit", pricing: "From $499/month" },
      settings: { default_country: "US", calling_hours: { start: "09:00", end: "18:00" }, days: ["mon", "tue", "wed", "thu", "fri"] },
    }),
  });
  if (!res.ok) throw new Error(`could not create the demo workspace: ${res.status} ${await res.text()}`);
  const body = (await res.json()) as { workspace: { id: string }; api_key: { secret: string } };
  const demo = { workspace_id: body.workspace.id, api_key: body.api_key.secret };
  writeFileSync(file, JSON.stringify(demo, null, 2), { mode: 0o600 });
  return demo;
}
