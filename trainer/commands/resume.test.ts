// `towerops train` stopped by SIGTERM, as a preempted Job's pod is, then resumed: the resumed
// command must end exactly where an unbroken one does, and nothing may start over by accident.
import { type ChildProcess, spawn } from "node:child_process";
import { once } from "node:events";
import { mkdtemp, readdir, readFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { writeSynth } from "../synth/write.ts";

const CLI = path.join(import.meta.dirname, "..", "..", "cli", "towerops.ts");

interface Exit {
  code: number | null;
  stderr: string;
}

function start(args: string[]): { child: ChildProcess; exit: Promise<Exit> } {
  const child = spawn(process.execPath, [CLI, ...args], { stdio: ["ignore", "ignore", "pipe"] });
  let stderr = "";
  child.stderr?.on("data", (b: Buffer) => {
    stderr += b.toString();
  });
  const exit = once(child, "exit").then(([code]) => ({ code: code as number | null, stderr }));
  return { child, exit };
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
    // Stopped once the first epoch is done: the signal lands in the second epoch or its evaluation.
    await new Promise<void>((resolve) => {
      interrupted.child.stderr?.on("data", (b: Buffer) => {
        if (b.toString().includes('"epoch done"')) resolve();
      });
    });
    interrupted.child.kill("SIGTERM");
    const stopped = await interrupted.exit;
    expect(stopped.stderr).toMatch(/SIGTERM: training stopped in epoch \d; its state is saved in .*resume/);
    expect(stopped.code).toBe(143);
    expect(await readdir(path.join(dir, "resumed", "resume"))).toContain("model.state");

    const refused = await start([...flags("resumed"), "--version", "v1"]).exit;
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(
      /holds an interrupted training \(model: \d of 3 epochs done.*pass --resume/,
    );
    const otherSettings = await start([...flags("resumed"), "--resume", "--learning-rate", "0.01"]).exit;
    expect(otherSettings.code).toBe(1);
    expect(otherSettings.stderr).toMatch(/cannot resume .*\(learningRate 0.003 -> 0.01\)/);

    // No --version: the resumed command writes the version the interrupted one was writing.
    const resumed = await start([...flags("resumed"), "--resume"]).exit;
    expect(resumed.stderr).toMatch(/"msg":"resuming"/);
    expect(resumed.code).toBe(0);
    expect((await unbroken.exit).code).toBe(0);
    expect(await summaryOf(path.join(dir, "resumed"))).toEqual(await summaryOf(path.join(dir, "unbroken")));
    // Finished: nothing is left to resume.
    expect(await readdir(path.join(dir, "resumed"))).not.toContain("resume");
  }, 120_000);
});
