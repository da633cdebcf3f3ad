// Train/test splits. Temporal splits are the honest ones for retrieval (the model never sees the
// future); random exists because small public logs are often evaluated that way.
import { parseDecimal } from "../../shared/decimal.ts";
import { createRng } from "../random.ts";
import type { InteractionTable } from "./table.ts";
import { cutOutsideLog } from "./time-cut.ts";
import { parseTimestamp, TIMESTAMP_FORMS } from "./timestamp.ts";

export type SplitSpec =
  | { kind: "random"; testFraction: number; seed: number }
  | { kind: "last-n"; n: number }
  | { kind: "time-quantile"; trainFraction: number }
  /** `at` is the cut as given (a date stays a date in messages); it parses to `timestamp`. */
  | { kind: "time-cut"; timestamp: number; at?: string };

export interface Split {
  train: InteractionTable;
  test: InteractionTable;
  /** Why the split, though usable, is not what was asked for. */
  warning?: string;
}

// Events at the cut's timestamp all go to the held-out side, for time:F at the global cut and for
// last:N at each user's N-th last event (a cut inside one second, or one day, would otherwise split
// it by file order). A log of coarse timestamps, a date per event, can then hold out far more than
// asked; past this much more, the user is told.
const TIED_EXCESS = 0.25;

/** Parses `random:0.1`, `last:1`, `time:0.9` (quantile) or `time@<timestamp>` (a number in the log's unit, or an ISO date read as epoch seconds, as in logs). */
export function parseSplit(text: string, seed: number): SplitSpec {
  const m = /^(random|last|time)([:@])(.+)$/.exec(text.trim());
  const bad = () =>
    new Error(`--split "${text}": expected random:<fraction>, last:<n>, time:<fraction> or time@<timestamp>`);
  if (!m) throw bad();
  if (m[1] === "time" && m[2] === "@") {
    const timestamp = parseTimestamp(m[3]);
    if (timestamp === undefined)
      throw new Error(`--split "${text}": the time after @ is not ${TIMESTAMP_FORMS}`);
    return { kind: "time-cut", timestamp, at: m[3] };
  }
  const value = parseDecimal(m[3]);
  if (!Number.isFinite(value)) throw bad();
  if (m[1] === "random" && m[2] === ":" && value > 0 && value < 1)
    return { kind: "random", testFraction: value, seed };
  if (m[1] === "last" && m[2] === ":" && Number.isInteger(value) && value >= 1)
    return { kind: "last-n", n: value };
  if (m[1] === "time" && m[2] === ":" && value > 0 && value < 1)
    return { kind: "time-quantile", trainFraction: value };
  throw bad();
}

export function splitTable(table: InteractionTable, spec: SplitSpec): Split {
  const isTest = new Uint8Array(table.length);
  let cut = Number.NaN;
  let lastN: LastN | undefined;
  switch (spec.kind) {
    case "random": {
      const rng = createRng(spec.seed);
      for (let r = 0; r < table.length; r++) isTest[r] = rng.next() < spec.testFraction ? 1 : 0;
      break;
    }
    case "last-n":
      lastN = lastNCounts(spec.n);
      for (const rows of table.rowsByUser().values()) {
        const from = lastNFrom(table, rows, lastN);
        if (from !== undefined) for (const r of rows.slice(from)) isTest[r] = 1;
      }
      break;
    case "time-quantile":
    case "time-cut": {
      cut = spec.kind === "time-cut" ? spec.timestamp : timeQuantile(table, spec.trainFraction);
      for (let r = 0; r < table.length; r++) isTest[r] = table.timestamp[r] >= cut ? 1 : 0;
      break;
    }
  }
  const train: number[] = [];
  const test: number[] = [];
  for (let r = 0; r < table.length; r++) (isTest[r] ? test : train).push(r);
  if (train.length === 0 || test.length === 0) {
    const why =
      lastN && test.length === 0
        ? `: ${noneLeft(lastN)}`
        : spec.kind === "time-cut" || spec.kind === "time-quantile"
          ? cutOutsideLog(table, cut, spec.kind === "time-cut" ? spec.at : undefined)
          : "";
    throw new Error(
      `--split ${splitText(spec)} leaves ${train.length} training and ${test.length} held-out rows${why}; pick another split or pass --test <file>`,
    );
  }
  const split: Split = { train: table.select(train), test: table.select(test) };
  if (spec.kind === "time-quantile") {
    const asked = 1 - spec.trainFraction;
    const share = test.length / table.length;
    let tied = 0;
    for (let r = 0; r < table.length; r++) if (table.timestamp[r] === cut) tied++;
    if (tied > 1 && share > asked * (1 + TIED_EXCESS)) {
      split.warning = `--split ${splitText(spec)} holds out ${pct(share)} of events, not ${pct(asked)}: ${tied} events share the cut's timestamp ${cut}, and all of them are held out; give the cut as time@<timestamp> to choose the side`;
    }
  }
  const tiedLast =
    lastN && tiedLastWarning(lastN, `--split last:${lastN.n}`, "whole in training and out of evaluation");
  if (tiedLast) split.warning = tiedLast;
  return split;
}

/** What last:N made of a log's users, for what is said of its ties. */
export interface LastN {
  n: number;
  /** Users with held-out events, and those events. */
  heldUsers: number;
  held: number;
  /** Users with more than N events kept whole because their ties reach their first. */
  tiedWhole: number;
}

export function lastNCounts(n: number): LastN {
  return { n, heldUsers: 0, held: 0, tiedWhole: 0 };
}

/**
 * The index in one user's `rows` (in time order, as `rowsByUser` gives them) from which last:N holds
 * them out: the n-th last event's, moved back over every event at its timestamp, since evaluation
 * would otherwise see events of the held-out moment as its history, which training never builds
 * (Timelines keeps one moment's events out of each other's history). Undefined for a user kept
 * whole, with `n` events or fewer or none before that timestamp: it would have nothing left to learn
 * from, nor a history to be judged on. Counted in `counts`. Train's split and validate's
 * leave-last-out both take it, so the gate holds out what training's evaluation did.
 */
export function lastNFrom(
  table: InteractionTable,
  rows: readonly number[],
  counts: LastN,
): number | undefined {
  if (rows.length <= counts.n) return undefined;
  let from = rows.length - counts.n;
  const cut = table.timestamp[rows[from]];
  if (table.timestamp[rows[0]] === cut) {
    counts.tiedWhole++;
    return undefined;
  }
  while (table.timestamp[rows[from - 1]] === cut) from--;
  counts.heldUsers++;
  counts.held += rows.length - from;
  return from;
}

function events(n: number): string {
  return `${n.toLocaleString("en")} event${n === 1 ? "" : "s"}`;
}

function users(n: number): string {
  return `${n.toLocaleString("en")} user${n === 1 ? "" : "s"}`;
}

/** The event whose timestamp last:N holds out from. */
function nthLast(n: number): string {
  return n === 1 ? "their last event" : `the earliest of their last ${n} events`;
}

/** Why last:N held nothing out. */
function noneLeft({ n, tiedWhole }: LastN): string {
  const whole = "and such users stay whole in training";
  if (tiedWhole === 0) return `no user has more than ${events(n)}, ${whole}`;
  return `no user has an event before the timestamp of ${nthLast(n)} (for ${users(tiedWhole)} with more, the first is at it), ${whole}`;
}

/**
 * What ties made of last:N, one line or none: more held out than N per user, and users kept out of
 * evaluation. On a log with a date per event most users can have every event on one day, and the
 * evaluation would be of the few left without a word. `subject` names what asked for N, `kept`
 * where such users went.
 */
export function tiedLastWarning(
  { n, heldUsers, held, tiedWhole }: LastN,
  subject: string,
  kept: string,
): string | undefined {
  const said: string[] = [];
  if (held > n * heldUsers * (1 + TIED_EXCESS))
    said.push(
      `holds out ${events(held)} of ${users(heldUsers)}, ${(held / heldUsers).toFixed(2)} per user, not ${n}: users' events at the timestamp of ${nthLast(n)} are all held out`,
    );
  if (tiedWhole > 0) {
    const more = tiedWhole + heldUsers;
    said.push(
      `keeps ${users(tiedWhole)} of the ${more.toLocaleString("en")} with more than ${events(n)} (${pct(tiedWhole / more)}) ${kept}: their first event is already at the timestamp of ${nthLast(n)}`,
    );
  }
  return said.length === 0 ? undefined : `${subject} ${said.join("; it ")}`;
}

function pct(x: number): string {
  return `${(100 * x).toFixed(1)} %`;
}

/** The spec as the `--split` text that parses to it. */
export function splitText(spec: SplitSpec): string {
  switch (spec.kind) {
    case "random":
      return `random:${spec.testFraction}`;
    case "last-n":
      return `last:${spec.n}`;
    case "time-quantile":
      return `time:${spec.trainFraction}`;
    case "time-cut":
      return `time@${spec.at ?? spec.timestamp}`;
  }
}

function timeQuantile(table: InteractionTable, fraction: number): number {
  const ts = Float64Array.from(table.timestamp.subarray(0, table.length)).sort();
  return ts[Math.min(ts.length - 1, Math.floor(ts.length * fraction))];
}
