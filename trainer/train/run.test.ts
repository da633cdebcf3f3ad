import { beforeAll, describe, expect, it } from "vitest";
import { initTensorflow } from "../../shared/tf/backend.ts";
import { splitTable } from "../data/split.ts";
import { buildEvalSet } from "../eval/evalset.ts";
import { evaluateModel } from "../eval/evaluate.ts";
import { synthTable } from "../synth/table.ts";
import { DEFAULT_TRAIN_CONFIG } from "./config.ts";
import { trainRun } from "./run.ts";

beforeAll(async () => {
  await initTensorflow({ backend: "wasm" });
});

describe("trainRun", () => {
  it("evaluates every epoch and, with early stopping, ends on the best epoch's weights", async () => {
    const t = synthTable({ users: 80, items: 150, events: 1500, seed: 4, topics: 4 });
    const { train, test } = splitTable(t, { kind: "last-n", n: 1 });
    const evalSet = buildEvalSet(train, test, { maxUsers: 0, seed: 1, excludeTrain: true });
    const result = await trainRun({
      train,
      evalSet,
      config: {
        ...DEFAULT_TRAIN_CONFIG,
        // Large enough steps to overfit this tiny log, so the best epoch is not the last.
        learningRate: 0.05,
        dims: 8,
        embeddingDim: 8,
        historyLength: 5,
        batchSize: 64,
        epochs: 4,
        earlyStopPatience: 4,
      },
    });
    expect(result.epochs).toHaveLength(4);
    const best = Math.max(...result.epochs.map((e) => e.metrics["recall@100"] ?? 0));
    // On this seed the best epoch is not the last, so the restore path is what is tested.
    expect(result.epochs.at(-1)?.metrics["recall@100"]).toBeLessThan(best);
    expect(result.final.exact.metrics["recall@100"]).toBe(best);
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
});
