// Loading a training log (and its held-out counterpart) with progress and bad-row warnings.
import { createHash } from "node:crypto";
import type { Logger } from "../../shared/log.ts";
import type { LogColumns } from "../data/columns.ts";
import { BadRowBudget, type DataError } from "../data/errors.ts";
import { type FeatureTable, idColumnOf, type OnUnread, readFeatureTable } from "../data/features.ts";
import type { LogFormat } from "../data/format.ts";
import { hashJsonArray } from "../data/json-digest.ts";
import { type ReadOptions, type ReadResult, readInteractions } from "../data/reader.ts";
import { parseSplit, type SplitSpec, splitTable } from "../data/split.ts";
import { InteractionTable, type Vocab } from "../data/table.ts";
import { startProgress } from "../progress.ts";

export interface DataOptions {
  data: string;
  test?: string;
  split: string;
  format?: LogFormat;
  columns?: LogColumns;
  maxBadRows: number;
  minRating?: number;
  /** The training log must carry per-event weights (`--weights`). */
  requireWeights?: boolean;
  seed: number;
  userFeatures?: string;
  itemFeatures?: string;
}

export interface LoadedData {
  train: InteractionTable;
  test: InteractionTable;
  /** The format each log was read as, forced by --format or detected; `test` with --test only. */
  formats: { data: LogFormat; test?: LogFormat };
  userFeatures?: FeatureTable;
  itemFeatures?: FeatureTable;
}

export async function readLog(
  path: string,
  table: InteractionTable,
  opts: ReadOptions,
  log: Logger,
): Promise<ReadResult> {
  const bar = startProgress(`reading ${path.split("/").pop()}`, 1, "bytes");
  try {
    const result = await readInteractions(path, table, {
      ...opts,
      onProgress: (done, total) => bar.update(done, total),
    });
    log.info(
      {
        file: path,
        format: result.format,
        rows: result.rows,
        badRows: result.badRows,
        filtered: result.filtered,
      },
      "engagement log read",
    );
    warnBadRows(result.badSamples, log);
    // A click log's label column (0 = shown, not clicked) would otherwise pass unnoticed: every row
    // is read as an engagement.
    if (result.ignoredColumns.length > 0)
      log.warn(
        { file: path, columns: result.ignoredColumns },
        "log columns not read: every row counts as an engagement, whatever they hold; filter the log first if one marks non-engagements",
      );
    return result;
  } finally {
    bar.stop();
  }
}

export async function loadData(o: DataOptions, log: Logger): Promise<LoadedData> {
  const readOpts: ReadOptions = {
    maxBadRows: o.maxBadRows,
    ...(o.format ? { format: o.format } : {}),
    ...(o.columns ? { columns: o.columns } : {}),
    ...(o.minRating !== undefined ? { minRating: o.minRating } : {}),
  };
  // Parsed first: a misspelt --split must not cost a read of the whole log.
  const heldOut: { file: string } | { split: SplitSpec } = o.test
    ? { file: o.test }
    : { split: parseSplit(o.split, o.seed) };
  const all = new InteractionTable();
  const read = await readLog(o.data, all, readOpts, log);
  if (o.requireWeights && read.weighted === 0) {
    throw new Error(
      `--weights: ${o.data} has no weight column (or leaves it empty), so every event would weigh 1; a weight column of another name is given with --columns weight=<column>`,
    );
  }
  let train: InteractionTable;
  let test: InteractionTable;
  const formats: LoadedData["formats"] = { data: read.format };
  if ("file" in heldOut) {
    train = all;
    // Same vocabularies: held-out users and items line up with training ones by index.
    test = new InteractionTable(all.users, all.items);
    formats.test = (await readLog(heldOut.file, test, readOpts, log)).format;
  } else {
    const split = splitTable(all, heldOut.split);
    ({ train, test } = split);
    if (split.warning) log.warn({ train: train.length, test: test.length }, split.warning);
  }
  // A loss weighted by zeros everywhere is zero: training would run and learn nothing.
  if (o.requireWeights && !train.weight.subarray(0, train.length).some((w) => w > 0)) {
    throw new Error(`--weights: every training event of ${o.data} weighs 0, so training would learn nothing`);
  }
  logColdStart(train, test, log);
  const out: LoadedData = { train, test, formats };
  if (o.userFeatures)
    out.userFeatures = await readFeatures(
      o.userFeatures,
      "--user-features",
      all.users,
      "users",
      o.maxBadRows,
      log,
    );
  if (o.itemFeatures)
    out.itemFeatures = await readFeatures(
      o.itemFeatures,
      "--item-features",
      all.items,
      "items",
      o.maxBadRows,
      log,
    );
  return out;
}

export function warnBadRows(samples: readonly DataError[], log: Logger): void {
  for (const e of samples)
    log.warn({ file: e.file, line: e.line, column: e.column }, `skipped bad row: ${e.detail}`);
}

/** Warns of a column a feature table's reader left out, as readLog warns of a log's. */
export const warnUnread =
  (log: Logger): OnUnread =>
  (file, detail) =>
    log.warn({ file }, detail);

/** A feature table, its bad rows reported as the log's are; `read` reads it (typed by its look). */
export async function readFeatures(
  path: string,
  flag: string,
  vocab: Vocab,
  kind: string,
  maxBadRows: number,
  log: Logger,
  read: (path: string, budget: BadRowBudget, onUnread: OnUnread) => Promise<FeatureTable> = readFeatureTable,
): Promise<FeatureTable> {
  const budget = new BadRowBudget(maxBadRows);
  const table = await read(path, budget, warnUnread(log));
  let matched = 0;
  for (const id of vocab.ids) if (table.has(id)) matched++;
  checkFeatureCoverage(
    table,
    { what: `${flag} ${path}`, whose: "the log's", kind, ids: vocab.size, matched, badRows: budget.count },
    log,
  );
  warnBadRows(budget.samples, log);
  return table;
}

/**
 * Held-out events whose item or user training never saw: their id embeddings are untrained, so only
 * features and history can place them, and a low recall may be the split's doing, not the model's.
 */
export function coldShares(
  train: InteractionTable,
  test: InteractionTable,
): { items: number; users: number } {
  const itemSeen = train.itemCounts();
  const userSeen = new Uint8Array(train.users.size);
  for (let r = 0; r < train.length; r++) userSeen[train.user[r] as number] = 1;
  let items = 0;
  let users = 0;
  for (let r = 0; r < test.length; r++) {
    if (!((itemSeen[test.item[r] as number] ?? 0) > 0)) items++;
    if (!userSeen[test.user[r] as number]) users++;
  }
  return { items: items / Math.max(1, test.length), users: users / Math.max(1, test.length) };
}

// Some cold events are normal (new items arrive); from this share on they visibly cap the recall an
// id-only model can reach, which is worth a warning rather than a line among the others.
const COLD_WARNING_SHARE = 0.05;

function logColdStart(train: InteractionTable, test: InteractionTable, log: Logger): void {
  const cold = coldShares(train, test);
  const fields = { heldOut: test.length, coldItems: cold.items, coldUsers: cold.users };
  if (Math.max(cold.items, cold.users) < COLD_WARNING_SHARE) log.info(fields, "held-out cold start");
  else
    log.warn(
      fields,
      "many held-out events have an item or user that training never saw; id embeddings cannot place them",
    );
}

/** How many of the ids a feature table is for have a row in it. */
export interface FeatureCoverage {
  /** The table, by the flag and path it was given by. */
  what: string;
  /** Whose ids they are ("the log's"), and what (`users`). */
  whose: string;
  kind: string;
  ids: number;
  matched: number;
  badRows: number;
}

// A table is expected to miss some ids (users who signed up after its export, items added since), not
// most: under half, most of the tower's ids go without features, which is more often a partial
// export or ids written another way (a prefix, a case) than the catalogue's doing.
const COVERAGE_WARNING_SHARE = 0.5;

/**
 * A table whose ids match none of those it is for is the wrong file or the wrong id column, and
 * would train, or export, silently without features: refused. One that matches few is a warning.
 */
export function checkFeatureCoverage(table: FeatureTable, c: FeatureCoverage, log: Logger): void {
  const keyColumn = idColumnOf(table);
  if (c.matched === 0)
    throw new Error(
      `${c.what}: none of its ${table.size} ids is one of ${c.whose} ${c.ids} ${c.kind}; is its id column${keyColumn === undefined ? "" : `, "${keyColumn}",`} the right one?`,
    );
  const covered = c.matched / c.ids;
  const fields = { features: c.what, rows: table.size, badRows: c.badRows, [c.kind]: c.ids, covered };
  if (covered >= COVERAGE_WARNING_SHARE) log.info(fields, "feature table read");
  else
    log.warn(
      fields,
      `only ${c.matched} of ${c.whose} ${c.ids} ${c.kind} (${(covered * 100).toFixed(1)}%) have a row in the feature table, so the others go without features: is it the whole table, and are its ids written as ${c.whose} are?`,
    );
}

/**
 * The examples a run trains and evaluates on, by content: the split tables and feature tables as
 * read, so the same log shipped gzipped, re-partitioned or moved has the same digest.
 */
export function dataDigest(data: LoadedData): string {
  const hash = createHash("sha256");
  const table = (t: InteractionTable) => {
    const n = t.length;
    for (const a of [
      t.user.subarray(0, n),
      t.item.subarray(0, n),
      t.timestamp.subarray(0, n),
      t.weight.subarray(0, n),
    ])
      hash.update(new Uint8Array(a.buffer, a.byteOffset, a.byteLength));
  };
  const features = (f: FeatureTable | undefined) => (f ? hashJsonArray(hash, f) : hash.update("null"));
  // Ids in vocabulary order: the arrays above are indices into them.
  hash.update(data.train.users.ids.join("\n")).update("\0").update(data.train.items.ids.join("\n"));
  table(data.train);
  table(data.test);
  features(data.userFeatures);
  features(data.itemFeatures);
  return hash.digest("hex").slice(0, 16);
}
