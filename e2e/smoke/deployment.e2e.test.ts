import { describe, expect, it } from "vitest";
import { apis, eventually, useTestNamespace } from "../support/kube.ts";

// Proves the scheduler, the deployment/replicaset controllers, kwok and the garbage collector
// all work together: the pieces every ANN-host rollout will stand on.
describe("Deployments on kwok nodes", () => {
  const ns = useTestNamespace("smoke-deploy");

  it("reaches 3 ready replicas, then garbage-collects its ReplicaSet and pods on delete", async () => {
    const { kc, namespace } = ns;
    const { apps, core } = apis(kc);
    const labels = { app: "pause" };
    await apps.createNamespacedDeployment({
      namespace,
      body: {
        metadata: { name: "pause" },
        spec: {
          replicas: 3,
          selector: { matchLabels: labels },
          template: {
            metadata: { labels },
            spec: { containers: [{ name: "pause", image: "registry.k8s.io/pause:3.10" }] },
          },
        },
      },
    });

    const ready = await eventually("3 ready replicas", async () => {
      const d = await apps.readNamespacedDeployment({ name: "pause", namespace });
      return d.status?.readyReplicas === 3 ? d : undefined;
    });
    expect(ready.status?.availableReplicas).toBe(3);
    const pods = await core.listNamespacedPod({ namespace, labelSelector: "app=pause" });
    expect(pods.items).toHaveLength(3);
    for (const pod of pods.items) {
      expect(pod.spec?.nodeName).toMatch(/^kwok-node-/);
      expect(pod.status?.phase).toBe("Running");
    }

    await apps.deleteNamespacedDeployment({ name: "pause", namespace, propagationPolicy: "Background" });
    await eventually("ReplicaSets and pods garbage-collected", async () => {
      const [rs, ps] = await Promise.all([
        apps.listNamespacedReplicaSet({ namespace }),
        core.listNamespacedPod({ namespace }),
      ]);
      return rs.items.length === 0 && ps.items.length === 0 ? true : undefined;
    });
  });
});
