// The training runs of `towerops train`: the model, then (for the report's decile comparison) the
// same settings without sampling correction. Each saves its state as it goes and stops at the next
// batch or search chunk on SIGINT/SIGTERM, so `--resume` continues an interrupted command.
import type * as tf from "@tensorflow/tfjs";
import { componentLogger } from "../../shared/log.ts";
import type { EvalSet } from "../eval/evalset.ts";
import { deferInterrupt, Interrupted, type InterruptSignal } from "../interrupt.ts";
import { type Progress, passProgress } from "../progress.ts";
import type { TrainSummary } from "../report/report.ts";
import type { TrainConfig } from "../train/config.ts";
import { type RunResult, TrainingStopped, trainRun } from "../train/run.ts";
import type { LoadedData } from "./load.ts";
import type { OutLease } from "./out-lease.ts";
import {
  interruptedRuns,
  loadRun,
  type RunLabel,
  rerunHint,
  resumeDir,
  runSettings,
  saveRun,
} from "./resume.ts";
import type { HeldTrainOptions } from "./train.ts";

const log = componentLogger("trainer");

/**
 * A finished run's towers and figures, without its trainer: the trainer's tables and optimizer
 * moments, all but one of every table value's copies, are garbage once the run ends, before the
 * comparison run allocates its own.
 */
export type TrainedRun = Omit<RunResult, "trainer"> & { viewer: tf.LayersModel; item: tf.LayersModel };

// In a function of its own: a local of the async caller would keep the trainer alive across the
// comparison run's awaits.
const towersOf = ({ trainer, ...trained }: RunResult): TrainedRun => ({
  ...trained,
  viewer: trainer.viewer.model,
  item: trainer.item.model,
});

export interface TrainedRuns {
  main: TrainedRun;
  comparison?: TrainSummary["comparison"];
}

/** Whether the command trains the uncorrected comparison run after the model. */
export const comparesUncorrected = (o: Pick<HeldTrainOptions, "compare" | "config">) =>
  o.compare && o.config.samplingCorrection !== "none";

/** What the command has settled before training: `out` held, the backend, the data's digest. */
export interface RunContext {
  lease: OutLease;
  backend: string;
  digest: string;
}

export async function trainRuns(
  o: HeldTrainOptions,
  data: LoadedData,
  evalSet: EvalSet,
  { lease, backend, digest }: RunContext,
): Promise<TrainedRuns> {
  // Before any await: the caller has let its own handler go, and a signal finding none ends the
  // command without a word.
  const interrupt = deferInterrupt();
  const settingsOf = runSettings(data, { evalUsers: o.evalUsers, excludeTrain: o.excludeTrain }, digest);
  const run = async (config: TrainConfig, runLabel: RunLabel, label: string): Promise<RunResult> => {
    const settings = settingsOf(config);
    const save = saveRun(o.out, runLabel, { settings, version: o.version, backend });
    const resume = o.interrupted === "resume" ? await loadRun(o.out, runLabel, settings) : undefined;
    if (resume) {
      const { epochs, final } = resume.progress;
      log.info({ run: label, epochsDone: epochs.length, complete: Boolean(final) }, "resuming");
      // Not refused: the run goes on correctly, only not to the bits an unbroken run would reach.
      if (resume.backend && resume.backend !== backend)
        log.warn(
          { run: label, savedBackend: resume.backend, backend },
          `resuming a run trained on the ${resume.backend} backend on ${backend}: it continues, but its result will differ slightly from an unbroken run's`,
        );
    } else if (o.interrupted === "resume") log.info({ run: label }, "nothing to resume; starting");
    // Each epoch's bar ends when its last batch is in, before that epoch's evaluation draws its own.
    let training: Progress | undefined;
    let current = 0;
    const evaluating = passProgress(`${label} evaluating`, "users");
    try {
      return await trainRun({
        train: data.train,
        evalSet,
        config,
        ...(data.userFeatures ? { userFeatures: data.userFeatures } : {}),
        ...(data.itemFeatures ? { itemFeatures: data.itemFeatures } : {}),
        onBatch: (epoch, done, total) => {
          if (epoch !== current) {
            training?.stop();
            training = passProgress(`${label} epoch ${epoch}/${config.epochs}`, "events");
            current = epoch;
          }
          training?.update(done, total);
        },
        onEvalProgress: evaluating.update,
        onEpoch: (r) => log.info({ run: label, ...r }, "epoch done"),
        ...(resume ? { resume } : {}),
        // A command that lost `out` to another must not overwrite the state that one saves.
        onCheckpoint: async (c) => {
          lease.assertHeld();
          await save(c);
        },
        shouldStop: () => interrupt.signal !== undefined || lease.lost !== undefined,
        saveEverySeconds: (o.saveEveryMinutes ?? 0) * 60,
      });
    } finally {
      training?.stop();
      evaluating.stop();
    }
  };
  let main: TrainedRun;
  let comparison: TrainSummary["comparison"];
  try {
    main = towersOf(await run(o.config, "model", o.config.samplingCorrection));
    if (comparesUncorrected(o)) {
      const none = await run({ ...o.config, samplingCorrection: "none" }, "comparison", "none");
      comparison = { samplingCorrection: "none", exact: none.final.exact };
      none.trainer.dispose();
    }
  } catch (err) {
    if (err instanceof TrainingStopped && interrupt.signal) {
      const message = `${interrupt.signal}: ${err.message}; ${rerunHint(o, `its state is saved in ${resumeDir(o.out)}: run the same command with --resume to continue`)}`;
      log.warn({ signal: interrupt.signal, state: resumeDir(o.out) }, message);
      throw new Interrupted(interrupt.signal, message);
    }
    // Released, the waiting signal handler would exit before this error was ever reported: a save
    // the signal asked for that failed (a full disk) ended in silence, the last save's state kept.
    if (interrupt.signal) {
      const next = (await interruptedRuns(o.out)).length
        ? `--resume continues from the last state saved in ${resumeDir(o.out)}`
        : "no state was saved before it, so the same command starts over";
      const message = `${interrupt.signal}: training stopped, but ${(err as Error).message}; ${next}`;
      log.error({ signal: interrupt.signal, err }, message);
      throw new Interrupted(interrupt.signal, message);
    }
    interrupt.done();
    throw err;
  }
  // A signal that came after the last batch (during the final evaluation or save) stops here; the
  // saved states make --resume go straight to the export.
  if (interrupt.signal) {
    const message = stoppedAfterTraining(o, interrupt.signal);
    log.warn({ signal: interrupt.signal, state: resumeDir(o.out) }, message);
    throw new Interrupted(interrupt.signal, message);
  }
  interrupt.done();
  return { main, ...(comparison ? { comparison } : {}) };
}

/** Why a command stopped once its runs were trained, and what writes the rest. */
export const stoppedAfterTraining = (o: HeldTrainOptions, signal: InterruptSignal) =>
  `${signal}: stopped after training; ${rerunHint(o, "run the same command with --resume to write the bundle and report")}`;
