import { randomBytes } from "node:crypto";
import {
  ApiextensionsV1Api,
  CustomObjectsApi,
  type V1CustomResourceDefinition,
} from "@kubernetes/client-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { eventually, useTestNamespace } from "../support/kube.ts";

// A group of its own per run: a CRD from an earlier run may still be terminating.
const group = `smoke-${randomBytes(3).toString("hex")}.towerops.io`;
const plural = "widgets";
const crdName = `${plural}.${group}`;

// client-node's typed serializer drops keys it does not know (the wire name `x-kubernetes-validations`
// is the model field `x_kubernetes_validations`), so the literal is typed to let tsc catch that.
// A throwaway CRD shaped like the ones the operator will ship: structural schema, a CEL rule and a
// status subresource, so admission and status semantics are checked against the real API server.
const crd: V1CustomResourceDefinition = {
  metadata: { name: crdName },
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
                x_kubernetes_validations: [
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

const ref = { group, version: "v1alpha1", plural };
const widget = (name: string, minReplicas: number, maxReplicas: number) => ({
  apiVersion: `${group}/v1alpha1`,
  kind: "Widget",
  metadata: { name },
  spec: { minReplicas, maxReplicas },
});

describe("CustomResourceDefinition with CEL validation and a status subresource", () => {
  const ns = useTestNamespace("smoke-crd");

  beforeAll(async () => {
    const ext = ns.kc.makeApiClient(ApiextensionsV1Api);
    await ext.createCustomResourceDefinition({ body: crd });
    await eventually("CRD established", async () => {
      const got = await ext.readCustomResourceDefinition({ name: crdName });
      return (
        got.status?.conditions?.some((c) => c.type === "Established" && c.status === "True") || undefined
      );
    });
  });
  afterAll(() =>
    ns.kc
      .makeApiClient(ApiextensionsV1Api)
      .deleteCustomResourceDefinition({ name: crdName })
      .catch(() => undefined),
  );

  it("rejects an object that breaks the CEL rule, with the rule's message", async () => {
    const { kc, namespace } = ns;
    const api = kc.makeApiClient(CustomObjectsApi);
    const err = await api
      .createNamespacedCustomObject({ ...ref, namespace, body: widget("bad", 5, 1) })
      .then((created) => ({ created }))
      .catch((e: { code?: number; body?: unknown }) => e);
    expect(err).toMatchObject({ code: 422 });
    expect(String((err as { body?: unknown }).body)).toContain("minReplicas must not exceed maxReplicas");
  });

  it("keeps status out of spec writes and spec out of status writes", async () => {
    const { kc, namespace } = ns;
    const api = kc.makeApiClient(CustomObjectsApi);
    const good = { ...ref, namespace, name: "good" };
    const created = (await api.createNamespacedCustomObject({
      ...good,
      body: { ...widget("good", 1, 3), status: { phase: "ignored" } },
    })) as { status?: unknown; metadata: { generation: number; resourceVersion: string } };
    expect(created.status).toBeUndefined();

    const withStatus = (await api.replaceNamespacedCustomObjectStatus({
      ...good,
      body: {
        ...widget("good", 1, 99),
        metadata: { name: "good", resourceVersion: created.metadata.resourceVersion },
        status: { phase: "Ready" },
      },
    })) as { spec: { maxReplicas: number }; status: { phase: string }; metadata: { generation: number } };
    expect(withStatus.status.phase).toBe("Ready");
    expect(withStatus.spec.maxReplicas).toBe(3);
    expect(withStatus.metadata.generation).toBe(created.metadata.generation);
  });
});
