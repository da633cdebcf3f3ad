// `towerops train` stopped by SIGTERM, as a preempted Job's pod is, then resumed: the resumed
// command must end exactly where an unbroken one does, and nothing may start over by accident.
import { type ChildProcess, spawn } from "node:child_process";
import { once } from "node:events";
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { describe, expect, it } from "vitest";
import { pathExists } from "../../shared/bundle/files.ts";
import { tableOf } from "../data/testing.ts";
import { writeSynth } from "../synth/write.ts";
import { DEFAULT_TRAIN_CONFIG } from "../train/config.ts";
import type { RunCheckpoint } from "../train/run.ts";
import type { LoadedData } from "./load.ts";
import {
  clearRuns,
  interruptedRuns,
  interruptedVersion,
  loadRun,
  runSettings,
  saveRun,
  sweepPartialStates,
} from "./resume.ts";

const CLI = path.join(import.meta.dirname, "..", "..", "cli", "towerops.ts");

interface Exit {
  code: number | null;
  stderr: string;
}

interface Started {
  child: ChildProcess;
  exit: Promise<Exit>;
  /** Resolves once the command has logged `text` (as far as it has got: from its start). */
  logged(text: string): Promise<void>;
}

function start(args: string[], env: NodeJS.ProcessEnv = process.env): Started {
  const child = spawn(process.execPath, [CLI, ...args], { stdio: ["ignore", "ignore", "pipe"], env });
  let stderr = "";
  const waiters: { text: string; resolve: () => void }[] = [];
  child.stderr?.on("data", (b: Buffer) => {
    stderr += b.toString();
    for (const w of waiters) if (stderr.includes(w.text)) w.resolve();
  });
  const exit = once(child, "exit").then(([code]) => ({ code: code as number | null, stderr }));
  const logged = (text: string) =>
    new Promise<void>((resolve, reject) => {
      if (stderr.includes(text)) resolve();
      waiters.push({ text, resolve });
      void exit.then((e) => reject(new Error(`exited ${e.code} before logging ${text}:\n${e.stderr}`)));
    });
  return { child, exit, logged };
}

const summaryOf = async (out: string) => {
  const s = JSON.parse(await readFile(path.join(out, "summary.json"), "utf8"));
  return {
    losses: s.epochs.map((e: { loss: number }) => e.loss),
    final: s.final,
    comparison: s.comparison,
    version: s.version,
  };
};

describe("train --resume", () => {
  it("continues a run stopped by SIGTERM to the unbroken run's result, and refuses to start over silently", async () => {
    const dir = await mkdtemp(path.join(tmpdir(), "towerops-resume-"));
    const files = await writeSynth(
      { users: 400, items: 600, events: 16_000, seed: 6 },
      path.join(dir, "data"),
    );
    const flags = (out: string) => [
      "train",
      ...["--data", files.events, "--out", path.join(dir, out), "--epochs", "3", "--no-bundle"],
      ...["--dims", "16", "--embedding-dim", "16", "--batch-size", "64", "--eval-users", "200"],
    ];

    const unbroken = start([...flags("unbroken"), "--version", "v1"]);
    const interrupted = start([...flags("resumed"), "--version", "v1"]);
    await interrupted.logged('"epoch done"');
    // Started together, so that all of this happens while the first command still trains:
    // another command on the same --out is refused while the first holds it; one waiting for it
    // stops at once on a signal; and a Job's replacement pod, started while the deleted one is
    // still stopping, waits for it to save its state and then goes on from there.
    const busy = start([...flags("resumed"), "--lock-timeout", "0"]);
    const waiter = start([...flags("resumed"), "--lock-timeout", "60"]);
    const replacement = start([...flags("resumed"), "--resume"]);
    await waiter.logged("waiting for the command that holds --out");
    waiter.child.kill("SIGTERM");
    await replacement.logged("waiting for the command that holds --out");
    const inUse = await busy.exit;
    expect(inUse.code).toBe(2);
    expect(inUse.stderr).toMatch(
      new RegExp(`is in use by another towerops train \\(pid ${interrupted.child.pid} on `),
    );
    const waited = await waiter.exit;
    expect(waited.code).toBe(143);
    expect(waited.stderr).toMatch(
      /\ntowerops: SIGTERM: stopped before training began; nothing to save, run the same command again\n/,
    );
    // Stopped once the first epoch is done: the signal lands in the second epoch or its evaluation.
    interrupted.child.kill("SIGTERM");
    const stopped = await interrupted.exit;
    expect(stopped.stderr).toMatch(/SIGTERM: training stopped in epoch \d; its state is saved in .*resume/);
    expect(stopped.code).toBe(143);
    await replacement.logged('"msg":"resuming"');
    await replacement.logged('"epoch done"');
    replacement.child.kill("SIGTERM");
    expect((await replacement.exit).code).toBe(143);
    expect(await readdir(path.join(dir, "resumed", "resume"))).toContain("model.state");

    const refused = await start([...flags("resumed"), "--version", "v1"]).exit;
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/holds an interrupted training \(.*model: .*\): pass --resume/);
    const otherSettings = await start([...flags("resumed"), "--resume", "--learning-rate", "0.01"]).exit;
    expect(otherSettings.code).toBe(1);
    expect(otherSettings.stderr).toMatch(/cannot resume .*\(learningRate 0.003 -> 0.01\)/);

    // No --version: the resumed command writes the version the interrupted one was writing.
    const resumed = await start([...flags("resumed"), "--resume"]).exit;
    expect(resumed.stderr).toMatch(/"msg":"resuming"/);
    expect(resumed.code).toBe(0);
    expect((await unbroken.exit).code).toBe(0);
    expect(await summaryOf(path.join(dir, "resumed"))).toEqual(await summaryOf(path.join(dir, "unbroken")));
    // Finished: nothing is left to resume, and a rerun of the finished version does nothing.
    expect(await readdir(path.join(dir, "resumed"))).not.toContain("resume");
    const again = await start([...flags("resumed"), "--resume", "--version", "v1"]).exit;
    expect(again.code).toBe(0);
    expect(again.stderr).toMatch(/"msg":"nothing to resume: this version's run is finished"/);
    expect(again.stderr).not.toMatch(/"msg":"data ready"/);
  }, 120_000);

  it("sets aside an interrupted run of another version, as a new night's Job must train its own", async () => {
    const dir = await mkdtemp(path.join(tmpdir(), "towerops-resume-night-"));
    const files = await writeSynth(
      { users: 200, items: 300, events: 6_000, seed: 4 },
      path.join(dir, "data"),
    );
    const out = path.join(dir, "out");
    const night = (version: string) =>
      start([
        "train",
        ...["--data", files.events, "--out", out, "--epochs", "2", "--resume", "--index-threads", "1"],
        ...["--dims", "8", "--embedding-dim", "8", "--batch-size", "64", "--eval-users", "100"],
        ...["--version", version],
      ]);
    const first = night("night-1");
    await first.logged('"epoch done"');
    first.child.kill("SIGTERM");
    expect((await first.exit).code).toBe(143);
    // What a SIGKILL during night-1's export would have left.
    await mkdir(path.join(out, "bundles", ".night-1.staging"), { recursive: true });
    // A command that refuses changes nothing, night-1's state included.
    await mkdir(path.join(out, "bundles", "night-2"));
    await writeFile(path.join(out, "bundles", "night-2", "stray"), "");
    const refused = await night("night-2").exit;
    expect(refused.code).toBe(1);
    expect(refused.stderr).not.toMatch(/discarding/);
    expect(await interruptedVersion(out)).toBe("night-1");
    await rm(path.join(out, "bundles", "night-2"), { recursive: true });
    // So does one refused only once it has read the data.
    const empty = path.join(dir, "empty.csv");
    await writeFile(empty, "user,item,timestamp\n");
    const noData = await start([
      "train",
      ...["--data", empty, "--out", out, "--resume", "--version", "night-2"],
    ]).exit;
    expect(noData.code).toBe(1);
    expect(await interruptedVersion(out)).toBe("night-1");

    const second = await night("night-2").exit;
    expect(second.code).toBe(0);
    expect(second.stderr).toMatch(
      /"msg":"discarding the interrupted training of version night-1 \(model: 1 of 2 epochs done.*\): this command trains version night-2"/,
    );
    expect((await summaryOf(out)).version).toBe("night-2");
    expect(await readdir(out)).not.toContain("resume");
    expect(await readdir(path.join(out, "bundles"))).toEqual(["night-2"]);
  }, 90_000);

  it("says why it stopped, what it kept and what comes next, when a signal comes after the last batch", async () => {
    const dir = await mkdtemp(path.join(tmpdir(), "towerops-resume-after-"));
    const files = await writeSynth(
      { users: 200, items: 300, events: 6_000, seed: 5 },
      path.join(dir, "data"),
    );
    // The command signals itself as it renames a file onto one named $STOP_AT, once.
    const hook = path.join(dir, "stop-at.mjs");
    await writeFile(
      hook,
      `import fs from "node:fs";
import { syncBuiltinESMExports } from "node:module";
import { setTimeout as sleep } from "node:timers/promises";
const rename = fs.promises.rename;
let sent = false;
fs.promises.rename = async (from, to) => {
  if (!sent && String(to).endsWith(process.env.STOP_AT)) {
    sent = true;
    process.kill(process.pid, "SIGTERM");
    await sleep(100);
  }
  return rename(from, to);
};
syncBuiltinESMExports();
`,
    );
    const termination = path.join(dir, "termination-log");
    const out = path.join(dir, "out");
    const run = (stopAt?: string) =>
      start(
        [
          "train",
          ...["--data", files.events, "--out", out, "--epochs", "1", "--no-compare", "--version", "v1"],
          ...["--dims", "8", "--embedding-dim", "8", "--batch-size", "64", "--eval-users", "100"],
          ...["--resume", "--index-threads", "1"],
        ],
        {
          ...process.env,
          TOWEROPS_TERMINATION_LOG: termination,
          ...(stopAt ? { STOP_AT: stopAt, NODE_OPTIONS: `--import ${hook}` } : {}),
        },
      ).exit;
    const message =
      "SIGTERM: stopped after training; run the same command with --resume to write the bundle and report";
    const reported = (stderr: string) => stderr.split("\n").filter((l) => l.startsWith("towerops: "));
    // While the final state is saved, after the last evaluation: the deferred stop had let it exit
    // with no word and no termination message.
    await writeFile(termination, "");
    const saving = await run("model.state");
    expect(saving.code).toBe(143);
    expect(reported(saving.stderr)).toEqual([`towerops: ${message}`]);
    expect(await readFile(termination, "utf8")).toBe(message);
    expect(await interruptedRuns(out)).toEqual(["model: complete"]);
    // While the report is written: the signal handler says it, once, as the command ends.
    await writeFile(termination, "");
    const publishing = await run("summary.json");
    expect(publishing.code).toBe(143);
    expect(reported(publishing.stderr)).toEqual([`towerops: ${message}`]);
    expect(await readFile(termination, "utf8")).toBe(message);
    expect(await readdir(path.join(out, "bundles"))).toEqual([]);
    // As the bundle is put in place: the rename once issued is let end, and the stop says the
    // version is written, not that the bundle and report are still to write.
    await writeFile(termination, "");
    const placing = await run(path.join("bundles", "v1"));
    expect(placing.code).toBe(143);
    const written =
      "SIGTERM: stopped after version v1 was written; run the same command with --resume to clear what is left of its training state (it trains nothing)";
    expect(reported(placing.stderr)).toEqual([`towerops: ${written}`]);
    expect(await readFile(termination, "utf8")).toBe(written);
    expect(await readdir(path.join(out, "bundles"))).toEqual(["v1"]);
    const done = await run();
    expect(done.code).toBe(0);
    expect(done.stderr).toContain("nothing to resume: this version's run is finished");
    // Its training state too, and whatever of it the stop left set aside.
    expect((await readdir(out)).filter((name) => name.includes("resume"))).toEqual([]);
  }, 90_000);

  // Once SIGTERM has come, the rename that puts a new training state in place fails as on a full
  // disk; the command is stopped when it logs `stopAt` and, with `saved`, has saved a state.
  const stopWithFullDisk = async (name: string, stopAt: string, extra: string[], saved = false) => {
    const dir = await mkdtemp(path.join(tmpdir(), `towerops-resume-${name}-`));
    const files = await writeSynth(
      { users: 300, items: 400, events: 12_000, seed: 3 },
      path.join(dir, "data"),
    );
    const hook = path.join(dir, "full-disk.mjs");
    await writeFile(
      hook,
      `import fs from "node:fs";
import { syncBuiltinESMExports } from "node:module";
let signalled = false;
process.prependListener("SIGTERM", () => { signalled = true; });
const rename = fs.promises.rename;
fs.promises.rename = async (from, to) => {
  if (signalled && String(to).endsWith("model.state"))
    throw Object.assign(new Error("ENOSPC: no space left on device, rename"), { code: "ENOSPC" });
  return rename(from, to);
};
syncBuiltinESMExports();
`,
    );
    const out = path.join(dir, "out");
    const run = start(
      [
        "train",
        // Far more epochs than the test waits for: a run that finished before a late SIGTERM reached
        // it (a loaded machine) would exit 0, not by the signal.
        ...["--data", files.events, "--out", out, "--epochs", "40", "--no-bundle", "--version", "v1"],
        ...["--dims", "8", "--embedding-dim", "8", "--batch-size", "64", "--eval-users", "100"],
        ...extra,
      ],
      { ...process.env, NODE_OPTIONS: `--import ${hook}` },
    );
    await run.logged(stopAt);
    while (saved && !(await pathExists(path.join(out, "resume", "model.state")))) await sleep(20);
    // The state file is in place before its save has returned (the directory's fsync follows): a
    // signal then ends the run with that state, asking no save of its own. Half a second on, the
    // next epoch is training, and the signal's save is the one the full disk refuses.
    if (saved) await sleep(500);
    run.child.kill("SIGTERM");
    const stopped = await run.exit;
    expect(stopped.code).toBe(143);
    expect((await readdir(path.join(out, "resume"))).filter((n) => n.includes(".tmp-"))).toEqual([]);
    return stopped.stderr;
  };

  it("reports a save the signal asked for that failed, instead of exiting in silence", async () => {
    expect(await stopWithFullDisk("fail", '"epoch done"', [], true)).toMatch(
      /towerops: SIGTERM: training stopped, but cannot save the training state to .*model\.state: ENOSPC.*; --resume continues from the last state saved in /,
    );
  }, 60_000);

  it("does not point to a saved state when none was ever saved", async () => {
    const stderr = await stopWithFullDisk("none-saved", '"nothing to resume; starting"', ["--resume"]);
    expect(stderr).toMatch(/ENOSPC.*; no state was saved before it, so the same command starts over/);
    expect(stderr).not.toMatch(/continues from the last state/);
  }, 60_000);
});

describe("saved runs", () => {
  const data = (lastItem: string): LoadedData => {
    const train = tableOf([
      ["u1", "a"],
      ["u2", lastItem],
    ]);
    return { train, test: tableOf([["u1", "b"]], train), formats: { data: "csv" } };
  };
  const evaluation = { evalUsers: 10, excludeTrain: true };
  const checkpoint: RunCheckpoint = {
    progress: { epochs: [], best: null, sinceBest: 0 },
    state: { cursor: 1, rows: Int32Array.from([1, 0]) },
  };

  it("tells a run's settings and data apart by content", () => {
    const settings = runSettings(data("b"), evaluation)(DEFAULT_TRAIN_CONFIG);
    expect(runSettings(data("b"), evaluation)(DEFAULT_TRAIN_CONFIG)).toEqual(settings);
    expect(runSettings(data("c"), evaluation)(DEFAULT_TRAIN_CONFIG).data).not.toBe(settings.data);
    expect(settings).toMatchObject({ hidden: "none", hashSize: 1 << 20, trainEvents: 2, evalUsers: 10 });
    expect(Object.keys(settings).filter((k) => k.includes("Feature"))).toEqual([]);
  });

  it("records the feature columns in tower order, so a state with another order is refused", async () => {
    const itemFeatures = new Map([["a", { alpha: "x", Zeta: 1 }]]);
    const settings = runSettings({ ...data("b"), itemFeatures }, evaluation)(DEFAULT_TRAIN_CONFIG);
    expect(settings.itemFeatureColumns).toBe("Zeta,alpha");
    // A state written before the order was recorded, when it followed the locale.
    const out = await mkdtemp(path.join(tmpdir(), "towerops-runs-"));
    const { itemFeatureColumns: _, ...unrecorded } = settings;
    await saveRun(out, "model", { settings: unrecorded, version: "v7" })(checkpoint);
    await expect(loadRun(out, "model", settings)).rejects.toThrow(
      /other settings or data \(itemFeatureColumns unset -> Zeta,alpha\)/,
    );
  });

  it("saves, describes and loads a run, and refuses what it cannot use", async () => {
    const out = await mkdtemp(path.join(tmpdir(), "towerops-runs-"));
    const settings = runSettings(data("b"), evaluation)(DEFAULT_TRAIN_CONFIG);
    await saveRun(out, "model", { settings, version: "v7", backend: "wasm" })(checkpoint);
    expect(await interruptedVersion(out)).toBe("v7");
    expect(await interruptedRuns(out)).toEqual(["model: 0 of 3 epochs done, 50% into epoch 1"]);
    const loaded = await loadRun(out, "model", settings);
    expect(loaded?.progress).toEqual(checkpoint.progress);
    expect(loaded?.backend).toBe("wasm");
    const rows = new Int32Array(2);
    const state = await loaded?.readState({ rows });
    expect(state).toEqual(checkpoint.state);
    expect(state?.rows).toBe(rows);
    expect(await loadRun(out, "comparison", settings)).toBeUndefined();
    await expect(loadRun(out, "model", { ...settings, seed: 1 })).rejects.toThrow(/\(seed 42 -> 1\)/);

    // Damaged after its header was checked: named when the arrays are read.
    const file = path.join(out, "resume", "model.state");
    const bytes = await readFile(file);
    bytes[bytes.length - 1] = (bytes[bytes.length - 1] as number) ^ 1;
    await writeFile(file, bytes);
    await expect(loaded?.readState({})).rejects.toThrow(
      /cannot resume: .*damaged.*delete .*resume to start over/,
    );

    await writeFile(path.join(out, "resume", "comparison.state"), "junk");
    expect(await interruptedRuns(out)).toContainEqual(
      expect.stringMatching(/^comparison: unreadable \(.*not a training state file\)$/),
    );
    await expect(loadRun(out, "comparison", settings)).rejects.toThrow(
      /cannot resume: .*delete .*resume to start over/,
    );

    // What a command killed while writing a state leaves beside it.
    const partial = path.join(out, "resume", ".model.state.tmp-123-abc");
    await writeFile(partial, "half");
    await sweepPartialStates(out);
    expect((await readdir(path.join(out, "resume"))).sort()).toEqual(["comparison.state", "model.state"]);

    const blocked = path.join(out, "file");
    await writeFile(blocked, "");
    await expect(saveRun(blocked, "model", { settings, version: "v7" })(checkpoint)).rejects.toThrow(
      /cannot save the training state to .*model\.state: /,
    );
    await mkdir(path.join(out, "empty"));
    expect(await interruptedVersion(path.join(out, "empty"))).toBeUndefined();

    // A clear stopped after renaming the states aside leaves them there, out of --resume's sight.
    await mkdir(path.join(out, ".resume.tmp-123-abc-x"));
    await writeFile(path.join(out, ".resume.tmp-123-abc-x", "model.state"), "old");
    await clearRuns(out);
    await clearRuns(out);
    expect(await interruptedRuns(out)).toEqual([]);
    expect((await readdir(out)).sort()).toEqual(["empty", "file"]);
  });
});
