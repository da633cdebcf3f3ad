import { CoreV1Api, Watch } from "@kubernetes/client-node";
import { describe, expect, it } from "vitest";
import { eventually, useTestNamespace } from "../support/kube.ts";

describe("client-node watch against the real API server", () => {
  const ns = useTestNamespace("smoke-watch");

  it("sees ADDED, MODIFIED and DELETED for a ConfigMap", async () => {
    const { kc, namespace } = ns;
    const seen: string[] = [];
    const abort = await new Watch(kc).watch(
      `/api/v1/namespaces/${namespace}/configmaps`,
      { fieldSelector: "metadata.name=watched" },
      (phase, obj: { data?: Record<string, string> }) => seen.push(`${phase}:${obj.data?.v ?? ""}`),
      () => undefined,
    );
    try {
      const core = kc.makeApiClient(CoreV1Api);
      await core.createNamespacedConfigMap({
        namespace,
        body: { metadata: { name: "watched" }, data: { v: "1" } },
      });
      await core.replaceNamespacedConfigMap({
        name: "watched",
        namespace,
        body: { metadata: { name: "watched" }, data: { v: "2" } },
      });
      await core.deleteNamespacedConfigMap({ name: "watched", namespace });
      await eventually("three watch events", async () => (seen.length >= 3 ? true : undefined), {
        timeoutMs: 15_000,
      });
      expect(seen).toEqual(["ADDED:1", "MODIFIED:2", "DELETED:2"]);
    } finally {
      abort.abort();
    }
  });
});
