// The retraining Job that docs/trainer.md tells users to run, as the real API server takes it: its
// pod failure policy and replacement policy must be valid together, every field must be known
// (strict field validation), and the label its VERSION comes from must be on the Job's pods.
import { readFile } from "node:fs/promises";
import { BatchV1Api, type V1Job } from "@kubernetes/client-node";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { apis, eventually, useTestNamespace } from "../support/kube.ts";

const manifest = new URL("../../docs/examples/retrain-job.yaml", import.meta.url);

describe("docs/examples/retrain-job.yaml", () => {
  const ns = useTestNamespace("docs-job");

  it("is a valid Job whose pods carry the label the bundle version is read from", async () => {
    const { kc, namespace } = ns;
    const batch = kc.makeApiClient(BatchV1Api);
    const job = parse(await readFile(manifest, "utf8")) as V1Job;
    const name = job.metadata?.name as string;

    const dry = await batch.createNamespacedJob({
      namespace,
      body: job,
      dryRun: "All",
      fieldValidation: "Strict",
    });
    expect(dry.spec?.podReplacementPolicy).toBe("Failed");
    expect(dry.spec?.podFailurePolicy?.rules.map((r) => r.action)).toEqual(["Ignore", "FailJob"]);

    await batch.createNamespacedJob({ namespace, body: job, fieldValidation: "Strict" });
    const { core } = apis(kc);
    const pod = await eventually("the Job's pod", async () => {
      const pods = await core.listNamespacedPod({
        namespace,
        labelSelector: `batch.kubernetes.io/job-name=${name}`,
      });
      return pods.items[0];
    });
    // Training and the gate each run as their container's PID 1, so each gets the SIGTERM.
    const steps = [...(pod.spec?.initContainers ?? []), ...(pod.spec?.containers ?? [])];
    expect(steps.map((c) => [c.name, c.command])).toEqual([
      ["train", ["towerops"]],
      ["gate", ["towerops"]],
    ]);
    for (const step of steps) {
      const field = step.env?.find((e) => e.name === "VERSION")?.valueFrom?.fieldRef?.fieldPath ?? "";
      const label = /^metadata\.labels\['(.+)'\]$/.exec(field)?.[1] ?? "";
      expect(pod.metadata?.labels?.[label]).toBe(name);
    }
    await batch.deleteNamespacedJob({ name, namespace, propagationPolicy: "Background" });
  });
});
