import { execFile } from "node:child_process";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";
import { apis, clusterTool, useTestNamespace } from "../support/kube.ts";

const run = promisify(execFile);
const chart = fileURLToPath(new URL("../fixtures/tiny-chart", import.meta.url));

describe("helm against the local control plane", () => {
  const ns = useTestNamespace("smoke-helm");

  it("installs a chart and uninstalls it without leftovers", async () => {
    const { kc, namespace } = ns;
    const helm = clusterTool("helm");
    await run(helm, [
      "install",
      "tiny",
      chart,
      "-n",
      namespace,
      "--set",
      "greeting=hi",
      "--wait",
      "--timeout",
      "60s",
    ]);
    const { core } = apis(kc);
    const cm = await core.readNamespacedConfigMap({ name: "tiny-greeting", namespace });
    expect(cm.data?.greeting).toBe("hi");
    const { stdout } = await run(helm, ["list", "-n", namespace, "-o", "json"]);
    expect(JSON.parse(stdout)).toMatchObject([{ name: "tiny", status: "deployed" }]);

    await run(helm, ["uninstall", "tiny", "-n", namespace, "--wait"]);
    const left = await core.listNamespacedConfigMap({
      namespace,
      labelSelector: "app.kubernetes.io/managed-by=Helm",
    });
    expect(left.items).toHaveLength(0);
    const secrets = await core.listNamespacedSecret({ namespace, labelSelector: "owner=helm" });
    expect(secrets.items).toHaveLength(0);
  });
});
