// The gate against a baseline whose catalogue differs from the candidate's, as after a retrain that
// added items: both must be scored on the same targets, or the comparison is not paired.
import { cp, mkdtemp, readFile, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import * as tf from "@tensorflow/tfjs";
import { beforeAll, describe, expect, it } from "vitest";
import { digestFile } from "../../shared/bundle/files.ts";
import type { BundleManifest } from "../../shared/bundle/manifest.ts";
import { writeTestBundle } from "../../shared/bundle/testing.ts";
import { DEFAULT_THRESHOLDS } from "../validate/thresholds.ts";
import { runValidateCommand } from "./validate.ts";

let dir: string;
let baseline: string;
let candidate: string;
beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), "towerops-validate-"));
  baseline = (await writeTestBundle(path.join(dir, "old"), { version: "old", items: 300 })).dir;
  candidate = (await writeTestBundle(path.join(dir, "new"), { version: "new", items: 400 })).dir;
  // The test towers read a profile.
  const profiles = Array.from({ length: 40 }, (_, u) => `u${u},${(u % 7) / 7},c${u % 3}`);
  await writeFile(path.join(dir, "users.csv"), `user,age,country\n${profiles.join("\n")}\n`);
});

/** 40 users, each with a few old items as history and one held-out target: new items for `newShare` of them. */
async function holdout(name: string, newShare: number): Promise<string> {
  const rows = ["user,item,timestamp"];
  for (let u = 0; u < 40; u++) {
    for (let j = 0; j < 3; j++) rows.push(`u${u},item-${(u * 7 + j) % 300},${j}`);
    const target = u < 40 * newShare ? 300 + u : (u * 11 + 5) % 300;
    rows.push(`u${u},item-${target},9`);
  }
  const file = path.join(dir, name);
  await writeFile(file, `${rows.join("\n")}\n`);
  return file;
}

const options = (data: string) => ({
  candidate,
  baseline,
  data,
  userFeatures: path.join(dir, "users.csv"),
  targetsPerUser: 1,
  excludeHistory: true,
  minUsers: 10,
  maxBadRows: 0,
  threads: 1,
  thresholds: { ...DEFAULT_THRESHOLDS, minRecall: 0, maxDrop: 1 },
});

describe("runValidateCommand against a baseline with another catalogue", () => {
  it("scores both bundles on the held-out items both catalogues hold", async () => {
    const result = await runValidateCommand(options(await holdout("grown.csv", 0.25)));
    const { candidate: c, baseline: b } = result.metrics;
    // 10 users' targets are items only the candidate has: neither bundle is scored on them.
    expect(c?.retrieval?.users).toBe(30);
    expect(b?.retrieval?.users).toBe(30);
    expect(result.comparison?.users).toBe(30);
    // Coverage is still over every held-out target.
    expect(c?.coverage).toBe(1);
    expect(b?.coverage).toBe(0.75);
  });

  it("refuses a candidate that fails alone, even when the catalogues cannot be compared", async () => {
    // A catalogue that lost most of its items: a verdict (exit 1), not "cannot judge" (a retry).
    const shrunk = (await writeTestBundle(path.join(dir, "shrunk"), { version: "shrunk", items: 20 })).dir;
    const result = await runValidateCommand({
      ...options(await holdout("old-items.csv", 0)),
      candidate: shrunk,
    });
    expect(result.pass).toBe(false);
    expect(result.reasons).toContainEqual(expect.stringMatching(/^item coverage 0\.\d+ < 0\.9/));
    expect(result.metrics.baseline).toBeUndefined();
  });

  it("cannot judge when too few users have a target both catalogues hold", async () => {
    await expect(runValidateCommand(options(await holdout("new-only.csv", 0.9)))).rejects.toThrow(
      "only 4 of 40 held-out users have a target item that both candidate new and baseline old hold, fewer than --min-users 10: the two catalogues cannot be compared on this holdout",
    );
  });
});

describe("runValidateCommand decile by decile", () => {
  it("judges a candidate alone only on at least --min-users users with a target it holds", async () => {
    const shrunk = (await writeTestBundle(path.join(dir, "alone"), { version: "alone", items: 300 })).dir;
    const alone = (data: string, minCoverage: number) =>
      runValidateCommand({
        ...options(data),
        candidate: shrunk,
        baseline: undefined,
        minUsers: 35,
        thresholds: { ...options(data).thresholds, minCoverage },
      });
    // 10 of 40 targets are items it does not hold: a coverage of 0.75 fails at 0.9 on its own...
    expect((await alone(await holdout("alone.csv", 0.25), 0.9)).pass).toBe(false);
    // ...and passes at 0.5, on 30 users, fewer than --min-users 35: cannot judge, whatever its
    // recall on so few users (a floor it misses on them is noise too).
    for (const minRecall of [0, 0.99])
      await expect(
        runValidateCommand({
          ...options(await holdout("alone.csv", 0.25)),
          candidate: shrunk,
          baseline: undefined,
          minUsers: 35,
          thresholds: { ...options("").thresholds, minCoverage: 0.5, minRecall },
        }),
      ).rejects.toThrow(
        "only 30 of 40 held-out users have a target item that candidate alone holds, fewer than --min-users 35; a verdict on so few would be noise",
      );
  });

  it("warns when the baseline is another model's bundle, under the candidate's label too (a rename)", async () => {
    const other = (
      await writeTestBundle(path.join(dir, "other-model"), { version: "new", items: 300, model: "other" })
    ).dir;
    const result = await runValidateCommand({ ...options(await holdout("models.csv", 0)), baseline: other });
    expect(result).toMatchObject({
      pass: true,
      warnings: [
        expect.stringMatching(/^candidate is model \S+, baseline new is model other: compared as given$/),
      ],
    });
    expect((await runValidateCommand(options(await holdout("models.csv", 0)))).warnings).toEqual([]);
  });

  it("warns of a candidate judged against itself, and refuses one under the baseline's label with other contents", async () => {
    const data = await holdout("labels.csv", 0);
    const itself = await runValidateCommand({ ...options(data), candidate: baseline });
    expect(itself.warnings).toEqual([
      expect.stringMatching(/^the candidate is the baseline \(bundle [0-9a-f]{12}…\): nothing was compared$/),
    ]);
    const relabelled = (await writeTestBundle(path.join(dir, "relabelled"), { version: "old", items: 400 }))
      .dir;
    const result = await runValidateCommand({ ...options(data), candidate: relabelled });
    expect(result).toMatchObject({
      pass: false,
      reasons: [expect.stringMatching(/^candidate version old is the baseline's label on another bundle /)],
    });
  });

  it("refuses the run directory as a candidate, naming the bundle in it", async () => {
    const run = path.join(dir, "run");
    await cp(candidate, path.join(run, "bundles", "new"), { recursive: true });
    const result = await runValidateCommand({ ...options(await holdout("run.csv", 0)), candidate: run });
    expect(result).toMatchObject({
      pass: false,
      reasons: [
        `candidate bundle refused (missing_file): ${run} holds no manifest.json, so it is not a bundle: did you mean ${path.join(run, "bundles", "new")}?`,
      ],
    });
  });

  it("cuts both bundles' deciles on the same items, whatever order each catalogue is in", async () => {
    const reversed = await writeTestBundle(path.join(dir, "reversed"), {
      version: "reversed",
      items: 300,
      reversed: true,
    });
    const result = await runValidateCommand({
      ...options(await holdout("reversed.csv", 0)),
      candidate: reversed.dir,
    });
    const { candidate: c, baseline: b } = result.metrics;
    // The same towers: the same recall overall, and so in every decile.
    expect(c?.retrieval?.metrics).toEqual(b?.retrieval?.metrics);
    expect(c?.retrieval?.deciles).toEqual(b?.retrieval?.deciles);
  });
});

describe("runValidateCommand with a baseline it cannot score", () => {
  it("cannot judge, rather than pass a candidate unchecked, when the baseline's viewer embeddings are NaN", async () => {
    const broken = await writeTestBundle(path.join(dir, "nan"), {
      version: "nan",
      items: 300,
      viewer: (model) => model.setWeights(model.getWeights().map((w) => tf.fill(w.shape, Number.NaN))),
    });
    await expect(
      runValidateCommand({ ...options(await holdout("same.csv", 0)), baseline: broken.dir }),
    ).rejects.toThrow(
      /^baseline bundle .*nan: 40 viewer embeddings contain NaN or Inf, so the regression check cannot run$/,
    );
  });
});

describe("runValidateCommand with a baseline whose viewer embeddings are not unit vectors", () => {
  it("cannot judge, rather than pass any candidate against a baseline that retrieves at random", async () => {
    const zero = await writeTestBundle(path.join(dir, "zero"), {
      version: "zero",
      items: 300,
      viewer: (model) => model.setWeights(model.getWeights().map((w) => tf.zeros(w.shape))),
    });
    await expect(
      runValidateCommand({ ...options(await holdout("same-zero.csv", 0)), baseline: zero.dir }),
    ).rejects.toThrow(
      /^baseline bundle .*zero: viewer embeddings are not unit-norm \(worst \|norm - 1\| = 1\.00e\+0 > 0\.001\), so the regression check cannot run$/,
    );
  });
});

describe("runValidateCommand --threads", () => {
  it("judges with more threads than cores, which usearch has search contexts for only", async () => {
    // Enough users that the threads search at once: with 40 each thread is done before the next starts.
    const rows = ["user,item,timestamp"];
    for (let u = 0; u < 4000; u++)
      for (let j = 0; j < 2; j++) rows.push(`u${u},item-${(u * 7 + j) % 300},${j}`);
    const data = path.join(dir, "threads.csv");
    await writeFile(data, `${rows.join("\n")}\n`);
    const { baseline: _, ...alone } = options(data);
    const result = await runValidateCommand({ ...alone, candidate: baseline, threads: 256 });
    expect(result.metrics.candidate?.retrieval?.users).toBe(4000);
  });
});

describe("runValidateCommand --user-features", () => {
  it("reads the table by each viewer tower's own columns: one more is left out, one missing is refused", async () => {
    const data = await holdout("profiles.csv", 0);
    const profiles = Array.from({ length: 40 }, (_, u) => `u${u},${(u % 7) / 7},c${u % 3},${u % 2}`);
    const wider = path.join(dir, "users-wider.csv");
    await writeFile(wider, `user,age,country,premium\n${profiles.join("\n")}\n`);
    const usual = await runValidateCommand(options(data));
    // A newer table with a column neither tower has an input for: judged as with the usual one.
    const judged = await runValidateCommand({ ...options(data), userFeatures: wider });
    expect(judged.metrics.candidate?.retrieval).toEqual(usual.metrics.candidate?.retrieval);
    const narrower = path.join(dir, "users-narrower.csv");
    await writeFile(
      narrower,
      `user,country\n${profiles
        .map((r) =>
          r
            .split(",")
            .filter((_, i) => i !== 1)
            .slice(0, 2)
            .join(","),
        )
        .join("\n")}\n`,
    );
    await expect(runValidateCommand({ ...options(data), userFeatures: narrower })).rejects.toThrow(
      /^bundle new: \/.*users-narrower\.csv: no value in column "age", which the viewer tower was trained with$/,
    );
  });
});

describe("runValidateCommand --min-rating", () => {
  it("drops low-rated rows from the holdout, as training did", async () => {
    const rows = ["user,item,rating,timestamp"];
    for (let u = 0; u < 40; u++)
      for (let j = 0; j < 4; j++) rows.push(`u${u},item-${(u * 7 + j) % 300},${u < 20 ? 1 : 5},${j}`);
    const rated = path.join(dir, "rated.csv");
    await writeFile(rated, `${rows.join("\n")}\n`);
    const { baseline: _, ...alone } = options(rated);
    const all = await runValidateCommand(alone);
    expect(all.metrics.candidate?.retrieval?.users).toBe(40);
    const liked = await runValidateCommand({ ...alone, minRating: 4 });
    expect(liked.metrics.candidate?.retrieval?.users).toBe(20);
    await expect(
      runValidateCommand({ ...alone, data: await holdout("unrated.csv", 0), minRating: 4 }),
    ).rejects.toThrow(/--min-rating needs a rating column/);
  });
});

describe("runValidateCommand --columns", () => {
  it("reads the holdout and the history by the columns it names", async () => {
    const plain = await holdout("plain.csv", 0);
    const renamed = async (name: string) => {
      const file = path.join(dir, name);
      await writeFile(file, (await readFile(plain, "utf8")).replace("user,item,timestamp", "cust,sku,at"));
      return file;
    };
    const { baseline: _, ...alone } = options(plain);
    const columns = { user: "cust", item: "sku", timestamp: "at" };
    const named = { ...alone, data: await renamed("named.csv"), columns };
    expect((await runValidateCommand(named)).metrics).toEqual((await runValidateCommand(alone)).metrics);
    // The history holds every holdout event: only repeats are left to judge on.
    const history = await runValidateCommand({
      ...named,
      history: await renamed("history.csv"),
      excludeHistory: false,
    });
    expect(history.metrics.candidate?.retrieval?.users).toBe(40);
  });
});

describe("runValidateCommand on a bundle whose item tower is broken", () => {
  /** A copy of the candidate with the item tower's weights replaced and every digest recomputed. */
  async function brokenItemTower(name: string): Promise<string> {
    const copy = path.join(dir, name);
    await cp(candidate, copy, { recursive: true });
    await writeFile(path.join(copy, "item", "weights.bin"), "not weights\n");
    const file = path.join(copy, "manifest.json");
    const m = JSON.parse(await readFile(file, "utf8")) as BundleManifest;
    for (const f of m.files) Object.assign(f, await digestFile(path.join(copy, f.path)));
    await writeFile(file, JSON.stringify(m));
    return copy;
  }

  it("refuses such a candidate, though the gate itself runs only the viewer tower", async () => {
    const { baseline: _, ...alone } = options(await holdout("item-tower.csv", 0));
    const result = await runValidateCommand({ ...alone, candidate: await brokenItemTower("no-item-tower") });
    expect(result.pass).toBe(false);
    expect(result.reasons).toEqual([
      expect.stringMatching(/^candidate bundle refused \(tower_unreadable\): item: cannot load the tower: /),
    ]);
  });

  it("cannot judge against such a baseline", async () => {
    const broken = await brokenItemTower("no-item-tower-baseline");
    await expect(
      runValidateCommand({ ...options(await holdout("item-tower-base.csv", 0)), baseline: broken }),
    ).rejects.toThrow(/^baseline bundle .*no-item-tower-baseline: item: cannot load the tower: /);
  });
});
