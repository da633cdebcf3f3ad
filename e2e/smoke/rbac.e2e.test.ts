import { CoreV1Api, RbacAuthorizationV1Api } from "@kubernetes/client-node";
import { describe, expect, it } from "vitest";
import { useTestNamespace } from "../support/kube.ts";
import { serviceAccountKubeConfig } from "../support/service-account-kubeconfig.ts";

// RBAC must really be enforced, or a chart's missing permission would only show up in production.
describe("RBAC with a minted ServiceAccount kubeconfig", () => {
  const ns = useTestNamespace("smoke-rbac");

  it("grants exactly what the Role allows", async () => {
    const { kc, namespace } = ns;
    const core = kc.makeApiClient(CoreV1Api);
    const rbac = kc.makeApiClient(RbacAuthorizationV1Api);
    await core.createNamespacedServiceAccount({ namespace, body: { metadata: { name: "reader" } } });
    await rbac.createNamespacedRole({
      namespace,
      body: {
        metadata: { name: "configmap-reader" },
        rules: [{ apiGroups: [""], resources: ["configmaps"], verbs: ["get", "list"] }],
      },
    });
    await rbac.createNamespacedRoleBinding({
      namespace,
      body: {
        metadata: { name: "reader" },
        roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "Role", name: "configmap-reader" },
        subjects: [{ kind: "ServiceAccount", name: "reader", namespace }],
      },
    });

    const asReader = (await serviceAccountKubeConfig(kc, namespace, "reader")).makeApiClient(CoreV1Api);
    await expect(asReader.listNamespacedConfigMap({ namespace })).resolves.toBeDefined();
    await expect(asReader.listNamespacedSecret({ namespace })).rejects.toMatchObject({ code: 403 });
    await expect(
      asReader.createNamespacedConfigMap({ namespace, body: { metadata: { name: "nope" } } }),
    ).rejects.toMatchObject({ code: 403 });
    await expect(asReader.listNamespacedConfigMap({ namespace: "default" })).rejects.toMatchObject({
      code: 403,
    });
  });
});
