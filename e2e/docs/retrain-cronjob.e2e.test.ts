// The retraining CronJob that docs/trainer.md tells users to run, as the real API server takes it:
// every field known (kubectl's strict field validation, on the file's own text: client-node's
// serializer drops unknown keys before sending, so a typo would pass through it unseen), its Jobs' pod failure policy and replacement policy
// valid together, and `kubectl create job --from=cronjob/...` (the documented manual run) giving a
// Job whose pods carry the label the bundle version is read from.
import { execFile } from "node:child_process";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { BatchV1Api, type V1CronJob } from "@kubernetes/client-node";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { apis, clusterTool, eventually, useTestNamespace } from "../support/kube.ts";

const run = promisify(execFile);
const manifest = new URL("../../docs/examples/retrain-cronjob.yaml", import.meta.url);

describe("docs/examples/retrain-cronjob.yaml", () => {
  const ns = useTestNamespace("docs-cronjob");

  it("is a valid CronJob whose manual run's pods carry the label the bundle version is read from", async () => {
    const { kc, namespace } = ns;
    const batch = kc.makeApiClient(BatchV1Api);
    const text = await readFile(manifest, "utf8");
    const cronJob = parse(text) as V1CronJob;
    const kubectl = (file: string) =>
      run(clusterTool("kubectl"), ["create", "-f", file, "-n", namespace, "--validate=strict"]);
    // The check can fail: the same file with one key misspelt is refused.
    const dir = await mkdtemp(path.join(tmpdir(), "towerops-cronjob-"));
    try {
      const typo = path.join(dir, "typo.yaml");
      await writeFile(typo, text.replace("concurrencyPolicy:", "concurencyPolicy:"));
      await expect(kubectl(typo)).rejects.toMatchObject({
        stderr: expect.stringMatching(/unknown field "spec.concurencyPolicy"/),
      });
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
    await kubectl(fileURLToPath(manifest));
    const created = await batch.readNamespacedCronJob({ name: cronJob.metadata?.name as string, namespace });
    const jobSpec = created.spec?.jobTemplate.spec;
    expect(jobSpec?.podReplacementPolicy).toBe("Failed");
    expect(jobSpec?.podFailurePolicy?.rules.map((r) => r.action)).toEqual(["Ignore", "FailJob"]);

    const job = "feed-retrain-manual-1";
    await run(clusterTool("kubectl"), [
      "create",
      "job",
      job,
      `--from=cronjob/${cronJob.metadata?.name}`,
      "-n",
      namespace,
    ]);
    const { core } = apis(kc);
    const pod = await eventually("the Job's pod", async () => {
      const pods = await core.listNamespacedPod({
        namespace,
        labelSelector: `batch.kubernetes.io/job-name=${job}`,
      });
      return pods.items[0];
    });
    // Training and the gate each run as their container's PID 1, so each gets the SIGTERM.
    const steps = [...(pod.spec?.initContainers ?? []), ...(pod.spec?.containers ?? [])];
    expect(steps.map((c) => [c.name, c.command, c.terminationMessagePolicy])).toEqual([
      ["train", ["towerops"], "FallbackToLogsOnError"],
      ["gate", ["towerops"], "FallbackToLogsOnError"],
    ]);
    for (const step of steps) {
      const field = step.env?.find((e) => e.name === "VERSION")?.valueFrom?.fieldRef?.fieldPath ?? "";
      const label = /^metadata\.labels\['(.+)'\]$/.exec(field)?.[1] ?? "";
      expect(pod.metadata?.labels?.[label]).toBe(job);
    }
    await batch.deleteNamespacedJob({ name: job, namespace, propagationPolicy: "Background" });
  });
});
