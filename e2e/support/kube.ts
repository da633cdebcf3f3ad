// Connection to the local control plane that e2e/cluster/with-cluster.sh exported, and the few
// helpers every e2e test needs. Tests create their own namespace so they never see each other.
import { randomBytes } from "node:crypto";
import { join } from "node:path";
import { AppsV1Api, CoreV1Api, KubeConfig } from "@kubernetes/client-node";
import { afterAll, beforeAll } from "vitest";

export function adminKubeConfig(): KubeConfig {
  if (!process.env.KUBECONFIG) {
    throw new Error(
      "KUBECONFIG is not set: run e2e tests through `npm run test:e2e` (e2e/cluster/with-cluster.sh)",
    );
  }
  const kc = new KubeConfig();
  kc.loadFromFile(process.env.KUBECONFIG);
  return kc;
}

/** Path of a pinned cluster tool (kubectl, helm) in the running cluster's bin directory. */
export function clusterTool(name: "kubectl" | "helm"): string {
  const dir = process.env.TOWEROPS_CLUSTER_BIN;
  if (!dir) throw new Error("TOWEROPS_CLUSTER_BIN is not set: run through e2e/cluster/with-cluster.sh");
  return join(dir, name);
}

export async function createTestNamespace(kc: KubeConfig, prefix: string): Promise<string> {
  const name = `${prefix}-${randomBytes(3).toString("hex")}`;
  await kc.makeApiClient(CoreV1Api).createNamespace({ body: { metadata: { name } } });
  return name;
}

export async function deleteNamespace(kc: KubeConfig, name: string): Promise<void> {
  await kc
    .makeApiClient(CoreV1Api)
    .deleteNamespace({ name })
    .catch(() => undefined);
}

/**
 * Gives a describe block its own namespace, created before its tests and deleted after them,
 * so e2e files never see each other's objects.
 */
export function useTestNamespace(prefix: string): { kc: KubeConfig; namespace: string } {
  const ns = { kc: undefined as unknown as KubeConfig, namespace: "" };
  beforeAll(async () => {
    ns.kc = adminKubeConfig();
    ns.namespace = await createTestNamespace(ns.kc, prefix);
  });
  // Nothing to delete when beforeAll failed: its error is the one to read, not a second one here.
  afterAll(async () => {
    if (ns.namespace) await deleteNamespace(ns.kc, ns.namespace);
  });
  return ns;
}

/** Polls until `probe` returns a value other than undefined, or fails with the last observation. */
export async function eventually<T>(
  what: string,
  probe: () => Promise<T | undefined>,
  { timeoutMs = 60_000, intervalMs = 250 } = {},
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const value = await probe();
      if (value !== undefined) return value;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) {
      throw new Error(
        `timed out after ${timeoutMs} ms waiting for ${what}${last ? `: ${String(last)}` : ""}`,
      );
    }
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}

export function apis(kc: KubeConfig) {
  return { core: kc.makeApiClient(CoreV1Api), apps: kc.makeApiClient(AppsV1Api) };
}
