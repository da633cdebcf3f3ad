import { mkdir, mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { didYouMean } from "./did-you-mean.ts";

let run: string;
beforeAll(async () => {
  // As `train --out` leaves it, with a second bundle and a writer's staging copy beside the first.
  run = await mkdtemp(path.join(tmpdir(), "towerops-did-you-mean-"));
  for (const dir of ["checkpoint", "bundles/v1", "bundles/v2", "bundles/.v3.staging"])
    await mkdir(path.join(run, dir), { recursive: true });
  for (const file of [
    "checkpoint/checkpoint.json",
    ...["v1", "v2", ".v3.staging"].map((v) => `bundles/${v}/manifest.json`),
  ])
    await writeFile(path.join(run, file), "{}");
  await writeFile(path.join(run, "summary.json"), "{}");
});

describe("didYouMean", () => {
  it("names the directory in the one given that holds the file", async () => {
    expect(await didYouMean(run, "checkpoint.json")).toBe(`did you mean ${path.join(run, "checkpoint")}?`);
    expect(await didYouMean(path.join(run, "bundles"), "manifest.json")).toBe(
      `did you mean one of v1, v2 in ${path.join(run, "bundles")}?`,
    );
  });

  it("looks in `via` only when the directory itself holds none", async () => {
    expect(await didYouMean(run, "manifest.json")).toBeUndefined();
    expect(await didYouMean(run, "manifest.json", "bundles")).toBe(
      `did you mean one of v1, v2 in ${path.join(run, "bundles")}?`,
    );
    expect(await didYouMean(run, "checkpoint.json", "bundles")).toBe(
      `did you mean ${path.join(run, "checkpoint")}?`,
    );
  });

  it("names the directory of the file itself given, and nothing for another file or a missing path", async () => {
    expect(await didYouMean(path.join(run, "checkpoint", "checkpoint.json"), "checkpoint.json")).toBe(
      `did you mean ${path.join(run, "checkpoint")}?`,
    );
    expect(await didYouMean(path.join(run, "summary.json"), "checkpoint.json")).toBeUndefined();
    expect(await didYouMean(path.join(run, "nope"), "checkpoint.json", "bundles")).toBeUndefined();
  });
});
