import { describe, expect, it } from "vitest";
import { startAnnHost } from "./ann-server.ts";
import { fakeBundle } from "./testing/fake-bundle.ts";
import { quietLog as log } from "./testing/quiet-log.ts";
import { startViewerService } from "./viewer-service.ts";

/**
 * A bundle whose viewer tower gives rows of `length` in one direction: 0, or as short as the L2
 * normalisation's epsilon leaves the rows of a tower trained to collapse.
 */
function collapsedBundle(length = 0) {
  const bundle = fakeBundle({ version: "v1" });
  const dims = bundle.manifest.dims;
  bundle.viewer.embed = async (viewers) =>
    new Float32Array(viewers.length * dims).fill(length / Math.sqrt(dims));
  return bundle;
}

describe("self-check", () => {
  it("refuses to serve a viewer tower whose probe embedding is zero, as the tower's failure", async () => {
    const why =
      /failed its self-check: the probe embedding is zero, near zero or non-finite: the viewer tower collapses/;
    await expect(startAnnHost({ bundle: collapsedBundle(), port: 0, threads: 1, log })).rejects.toThrow(why);
    await expect(
      startViewerService({ bundles: [collapsedBundle()], keep: 0, port: 0, log }),
    ).rejects.toMatchObject({ name: "SelfCheckError", message: expect.stringMatching(why) });
    // Not zero, but too short to rank by: the host's own retrieve would search an arbitrary slice.
    await expect(startAnnHost({ bundle: collapsedBundle(4.6e-8), port: 0, threads: 1, log })).rejects.toThrow(
      why,
    );
  });

  it("refuses a viewer tower that emits other dims than the bundle's", async () => {
    const bundle = fakeBundle({ version: "v1" });
    bundle.viewer.embed = async (viewers) => new Float32Array(viewers.length * 4).fill(0.5);
    await expect(startViewerService({ bundles: [bundle], keep: 0, port: 0, log })).rejects.toThrow(
      /viewer tower v1 failed its self-check/,
    );
  });

  it("keeps the tower's own error as the cause, so the log shows where the probe failed", async () => {
    const boom = new TypeError("tensor shape [1,8] vs [1,16]");
    const failing = () => {
      const bundle = fakeBundle({ version: "v1" });
      bundle.viewer.embed = async () => {
        throw boom;
      };
      return bundle;
    };
    const annHost = await startAnnHost({ bundle: failing(), port: 0, threads: 1, log }).catch(
      (e: unknown) => e,
    );
    const viewerService = await startViewerService({ bundles: [failing()], keep: 0, port: 0, log }).catch(
      (e: unknown) => e,
    );
    for (const err of [annHost, viewerService]) {
      expect(err).toMatchObject({ name: "SelfCheckError", message: expect.stringContaining(boom.message) });
      expect((err as Error).cause).toBe(boom);
    }
  });
});
