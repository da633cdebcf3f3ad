import { beforeAll, describe, expect, it } from "vitest";
import { initTensorflow } from "../../shared/tf/backend.ts";
import { splitTable } from "../data/split.ts";
import { buildEvalSet } from "../eval/evalset.ts";
import { evaluateModel } from "../eval/evaluate.ts";
import { synthTable } from "../synth/table.ts";
import { DEFAULT_TRAIN_CONFIG } from "./config.ts";
import { type RunCheckpoint, type RunInputs, type RunResume, TrainingStopped, trainRun } from "./run.ts";
import type { TrainState } from "./state-file.ts";

beforeAll(async () => {
  await initTensorflow({ backend: "wasm" });
});

/** A checkpoint as it comes back from a state file (JSON progress, copied arrays), state in view. */
function reloaded(c: RunCheckpoint): RunResume & { state: TrainState } {
  const state = Object.fromEntries(
    Object.entries(c.state).map(([k, v]) => [k, typeof v === "number" ? v : v.slice()]),
  );
  return { progress: JSON.parse(JSON.stringify(c.progress)), state, readState: async () => state };
}

/** A tiny log the towers overfit within 4 epochs (large steps), so the best epoch is not the last. */
function tinyRun(): RunInputs {
  const t = synthTable({ users: 80, items: 150, events: 1500, seed: 4, topics: 4 });
  const { train, test } = splitTable(t, { kind: "last-n", n: 1 });
  return {
    train,
    evalSet: buildEvalSet(train, test, { maxUsers: 0, seed: 1, excludeTrain: true }),
    config: {
      ...DEFAULT_TRAIN_CONFIG,
      learningRate: 0.05,
      dims: 8,
      embeddingDim: 8,
      historyLength: 5,
      batchSize: 64,
      epochs: 4,
      earlyStopPatience: 4,
    },
  };
}

describe("trainRun", () => {
  it("evaluates every epoch and, with early stopping, ends on the best epoch's weights", async () => {
    const inputs = tinyRun();
    const { train, evalSet } = inputs;
    const result = await trainRun(inputs);
    expect(result.epochs).toHaveLength(4);
    const best = Math.max(...result.epochs.map((e) => e.metrics["recall@100"] ?? 0));
    // On this seed the best epoch is not the last, so the restore path is what is tested.
    expect(result.epochs.at(-1)?.metrics["recall@100"]).toBeLessThan(best);
    expect(result.final.exact.metrics["recall@100"]).toBe(best);
    expect(result.epochs.find((e) => e.epoch === result.keptEpoch)?.metrics["recall@100"]).toBe(best);
    expect(result.keptEpoch).toBeLessThan(4);
    // The restored weights really are the best epoch's: re-evaluating them gives the same recall.
    const again = await evaluateModel({
      viewer: result.trainer.viewer.model,
      item: result.trainer.item.model,
      cache: result.cache,
      train,
      set: evalSet,
      dims: 8,
      withAnn: false,
    });
    expect(again.exact.metrics["recall@100"]).toBe(best);
    result.trainer.dispose();
  });

  it("resumes from a checkpoint taken mid-epoch or between epochs to the same result as an unbroken run", async () => {
    // Early stopping keeps the best epoch's parameters in the checkpoints too, and restores them.
    const inputs = tinyRun();
    const { train } = inputs;
    const unbroken = await trainRun(inputs);
    const expected = unbroken.trainer.parameters();
    unbroken.trainer.dispose();
    const withoutTimes = (r: { epochs: { loss: number; metrics: Record<string, number> }[] }) =>
      r.epochs.map((e) => ({ loss: e.loss, metrics: e.metrics }));

    // Saving within epochs (here before every batch) pauses training without changing it.
    const cursors: number[] = [];
    const saving = await trainRun({
      ...inputs,
      saveEverySeconds: 1e-9,
      onCheckpoint: async (c) => {
        cursors.push(c.state.cursor as number);
      },
    });
    expect(cursors.filter((c) => c > 0).length).toBeGreaterThan(3 * 20);
    expect(withoutTimes(saving)).toEqual(withoutTimes(unbroken));
    expect(saving.trainer.parameters()).toEqual(expected);
    saving.trainer.dispose();

    // Stopped three times: 10 batches into epoch 2, between epochs 2 and 3, and in epoch 3's evaluation.
    let saved: ReturnType<typeof reloaded> | undefined;
    const stopped = async (overrides: Partial<RunInputs>) => {
      const run = trainRun({
        ...inputs,
        ...overrides,
        onCheckpoint: async (c) => {
          saved = reloaded(c);
        },
      });
      await expect(run).rejects.toBeInstanceOf(TrainingStopped);
      return saved as ReturnType<typeof reloaded>;
    };
    let tenBatchesIn = false;
    const midEpoch = await stopped({
      shouldStop: () => tenBatchesIn,
      onBatch: (e, done) => {
        tenBatchesIn = e === 2 && done === 10 * 64;
      },
    });
    expect(midEpoch.progress.epochs).toHaveLength(1);
    expect(midEpoch.state.cursor).toBe(10 * 64);
    let epochEnded = false;
    const betweenEpochs = await stopped({
      resume: midEpoch,
      shouldStop: () => epochEnded,
      onEpoch: () => {
        epochEnded = true;
      },
    });
    expect(betweenEpochs.progress.epochs).toHaveLength(2);
    expect(betweenEpochs.state.cursor).toBe(-1);
    // Then during epoch 3's evaluation: the trained epoch is kept, and only evaluated on resume.
    let trained = false;
    const inEvaluation = await stopped({
      resume: betweenEpochs,
      shouldStop: () => trained,
      onBatch: (e, done, total) => {
        trained = e === 3 && done === total;
      },
    });
    expect(inEvaluation.progress.epochs).toHaveLength(2);
    expect(inEvaluation.progress.pending?.examples).toBe(train.length);

    let complete: RunResume | undefined;
    const resumed = await trainRun({
      ...inputs,
      resume: inEvaluation,
      onCheckpoint: async (c) => {
        complete = reloaded(c);
      },
    });
    expect(withoutTimes(resumed)).toEqual(withoutTimes(unbroken));
    expect(resumed.final).toEqual(unbroken.final);
    expect(resumed.trainer.parameters()).toEqual(expected);
    resumed.trainer.dispose();

    // A complete run's checkpoint gives the result back without training.
    expect(complete?.progress.final).toEqual(unbroken.final);
    const again = await trainRun({ ...inputs, resume: complete as RunResume, shouldStop: () => true });
    expect(again.final).toEqual(unbroken.final);
    expect(again.trainer.parameters()).toEqual(expected);
    again.trainer.dispose();
  });
});
