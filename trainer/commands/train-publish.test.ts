// A rerun of a finished version, as a Job's pod reruns after a stop during the gate: it returns the
// recorded result, and leaves alone what is not its own.
import { mkdir, mkdtemp, readdir, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import type { RunCheckpoint } from "../train/run.ts";
import { interruptedRuns, interruptedVersion, saveRun } from "./resume.ts";
import { tinyTrainOptions } from "./testing.ts";
import { finishedRun } from "./train-publish.ts";

const checkpoint: RunCheckpoint = {
  progress: { epochs: [], best: null, sinceBest: 0 },
  state: { cursor: 1, rows: Int32Array.from([1, 0]) },
};

/** An --out where version v1 finished (without a bundle), trained with `params`. */
async function finishedOut(params: Record<string, string | number | boolean> = {}): Promise<string> {
  const out = await mkdtemp(path.join(tmpdir(), "towerops-finished-"));
  await writeFile(path.join(out, "summary.json"), JSON.stringify({ version: "v1", params }));
  return out;
}

const rerun = (out: string, extra: Partial<ReturnType<typeof tinyTrainOptions>> = {}) =>
  finishedRun({ ...tinyTrainOptions("events.csv", out), bundle: false, interrupted: "resume", ...extra });

describe("finishedRun", () => {
  it("clears the state of its own version, left by a stop before the clear", async () => {
    const out = await finishedOut();
    await saveRun(out, "model", { settings: {}, version: "v1" })(checkpoint);
    expect((await rerun(out))?.summary.version).toBe("v1");
    expect(await interruptedRuns(out)).toEqual([]);
  });

  it("leaves another version's interrupted training to be resumed", async () => {
    const out = await finishedOut();
    await saveRun(out, "model", { settings: {}, version: "v2" })(checkpoint);
    expect((await rerun(out))?.summary.version).toBe("v1");
    expect(await interruptedVersion(out)).toBe("v2");
  });

  it("removes what a stop while the state was cleared left set aside, whoever's state resume/ holds", async () => {
    for (const resumed of [undefined, "v2"]) {
      const out = await finishedOut();
      if (resumed) await saveRun(out, "model", { settings: {}, version: resumed })(checkpoint);
      const aside = path.join(out, ".resume.tmp-99-x-y");
      await mkdir(aside);
      await writeFile(path.join(aside, "model.state"), "set aside");
      expect((await rerun(out))?.summary.version).toBe("v1");
      expect(await readdir(out)).not.toContain(".resume.tmp-99-x-y");
      expect(await interruptedVersion(out)).toBe(resumed);
    }
  });

  it("leaves a state whose version cannot be read, for --resume to name what is wrong with it", async () => {
    const out = await finishedOut();
    await mkdir(path.join(out, "resume"));
    await writeFile(path.join(out, "resume", "model.state"), "junk");
    expect((await rerun(out))?.summary.version).toBe("v1");
    expect(await interruptedRuns(out)).toEqual([expect.stringMatching(/^model: unreadable /)]);
  });

  it("is refused with another --format than the logs were read as, and judged on the rest without one", async () => {
    const out = await finishedOut({ format: "movielens-100k" });
    await expect(rerun(out, { format: "tsv" })).rejects.toThrow(
      /version v1 in .* is finished, trained with other flags \(format movielens-100k -> tsv\)/,
    );
    expect((await rerun(out, { format: "movielens-100k" }))?.summary.version).toBe("v1");
    // The logs are not read to detect theirs: the same paths are taken to read as before.
    expect((await rerun(out))?.summary.version).toBe("v1");
    // A summary from before the format was recorded is judged on the rest.
    expect((await rerun(await finishedOut(), { format: "tsv" }))?.summary.version).toBe("v1");
  });

  it("is refused with other --columns than it was trained with, without them too", async () => {
    const out = await finishedOut({ columns: "user=a,item=b,timestamp=t" });
    await expect(rerun(out, { columns: { user: "b", item: "a", timestamp: "t" } })).rejects.toThrow(
      /version v1 in .* is finished, trained with other flags \(columns user=a,item=b,timestamp=t -> user=b,item=a,timestamp=t\)/,
    );
    // Without --columns the log's known names are read, which the given ones had set aside.
    await expect(rerun(out)).rejects.toThrow(/\(columns user=a,item=b,timestamp=t -> none\)/);
    const same = { timestamp: "t", item: "b", user: "a" };
    expect((await rerun(out, { columns: same }))?.summary.version).toBe("v1");
    await expect(rerun(await finishedOut({ columns: "none" }), { columns: same })).rejects.toThrow(
      /\(columns none -> user=a,item=b,timestamp=t\)/,
    );
    // A summary from before the columns were recorded is judged on the rest.
    expect((await rerun(await finishedOut(), { columns: same }))?.summary.version).toBe("v1");
  });
});
