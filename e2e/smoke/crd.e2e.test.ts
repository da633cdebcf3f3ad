import { ApiextensionsV1Api, CustomObjectsApi, type KubeConfig } from "@kubernetes/client-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { adminKubeConfig, createTestNamespace, deleteNamespace, eventually } from "../support/kube.ts";

const group = "smoke.towerops.io";
const plural = "widgets";

// A throwaway CRD shaped like the ones the operator will ship: structural schema, a CEL rule and a
// status subresource, so admission and status semantics are checked against the real API server.
const crd = {
  metadata: { name: `${plural}.${group}` },
  spec: {
    group,
    scope: "Namespaced",
    names: { plural, singular: "widget", kind: "Widget", listKind: "WidgetList" },
    versions: [
      {
        name: "v1alpha1",
        served: true,
        storage: true,
        subresources: { status: {} },
        schema: {
          openAPIV3Schema: {
            type: "object",
            properties: {
              spec: {
                type: "object",
                required: ["minReplicas", "maxReplicas"],
                properties: { minReplicas: { type: "integer" }, maxReplicas: { type: "integer" } },
                "x-kubernetes-validations": [
                  {
                    rule: "self.minReplicas <= self.maxReplicas",
                    message: "minReplicas must not exceed maxReplicas",
                  },
                ],
              },
              status: { type: "object", properties: { phase: { type: "string" } } },
            },
          },
        },
      },
    ],
  },
};

describe("CustomResourceDefinition with CEL validation and a status subresource", () => {
  let kc: KubeConfig;
  let namespace: string;

  beforeAll(async () => {
    kc = adminKubeConfig();
    namespace = await createTestNamespace(kc, "smoke-crd");
    const ext = kc.makeApiClient(ApiextensionsV1Api);
    await ext.createCustomResourceDefinition({ body: crd }).catch((err: { code?: number }) => {
      if (err.code !== 409) throw err;
    });
    await eventually("CRD established", async () => {
      const got = await ext.readCustomResourceDefinition({ name: crd.metadata.name });
      return (
        got.status?.conditions?.some((c) => c.type === "Established" && c.status === "True") || undefined
      );
    });
  });
  afterAll(async () => {
    await deleteNamespace(kc, namespace);
    await kc
      .makeApiClient(ApiextensionsV1Api)
      .deleteCustomResourceDefinition({ name: crd.metadata.name })
      .catch(() => undefined);
  });

  const widget = (name: string, minReplicas: number, maxReplicas: number) => ({
    apiVersion: `${group}/v1alpha1`,
    kind: "Widget",
    metadata: { name },
    spec: { minReplicas, maxReplicas },
  });

  it("rejects an object that breaks the CEL rule, with the rule's message", async () => {
    const api = kc.makeApiClient(CustomObjectsApi);
    const err = await api
      .createNamespacedCustomObject({
        group,
        version: "v1alpha1",
        namespace,
        plural,
        body: widget("bad", 5, 1),
      })
      .then(() => undefined)
      .catch((e: { code?: number; body?: unknown }) => e);
    expect(err?.code).toBe(422);
    expect(String(err?.body)).toContain("minReplicas must not exceed maxReplicas");
  });

  it("keeps status out of spec writes and spec out of status writes", async () => {
    const api = kc.makeApiClient(CustomObjectsApi);
    const ref = { group, version: "v1alpha1", namespace, plural, name: "good" };
    const created = (await api.createNamespacedCustomObject({
      ...ref,
      body: { ...widget("good", 1, 3), status: { phase: "ignored" } },
    })) as { status?: unknown; metadata: { generation: number } };
    expect(created.status).toBeUndefined();

    const withStatus = (await api.replaceNamespacedCustomObjectStatus({
      ...ref,
      body: { ...widget("good", 1, 99), metadata: { name: "good" }, status: { phase: "Ready" } },
    })) as { spec: { maxReplicas: number }; status: { phase: string }; metadata: { generation: number } };
    expect(withStatus.status.phase).toBe("Ready");
    expect(withStatus.spec.maxReplicas).toBe(3);
    expect(withStatus.metadata.generation).toBe(created.metadata.generation);
  });
});
