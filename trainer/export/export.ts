import { BundleError } from "../../shared/bundle/files.ts";
import {
  BundleWriter,
  type BundleWriterOptions,
  checkBundleLabels,
  type FinishedBundle,
  isManifestTime,
} from "../../shared/bundle/writer.ts";
import { componentLogger } from "../../shared/log.ts";
import type { ItemFeatures } from "../../shared/tower/features.ts";
import { embedItemBatches } from "../../shared/tower/item-embed.ts";
import { hasDirection } from "../../shared/tower/layers.ts";
import { onInterrupt } from "../interrupt.ts";

const log = componentLogger("trainer");

export interface ExportInputs
  extends Pick<BundleWriterOptions, "dir" | "model" | "version" | "dims" | "viewer" | "item"> {
  items: AsyncIterable<ItemFeatures> | Iterable<ItemFeatures>;
  itemCount: number;
  metrics: Record<string, number>;
  params: Record<string, string | number | boolean>;
  batchSize?: number;
  index?: Pick<
    BundleWriterOptions,
    "quantization" | "connectivity" | "expansionAdd" | "expansionSearch" | "threads"
  >;
  onProgress?: (done: number, total: number) => void;
  /** Where the item ids come from (a checkpoint's catalogue), named in the writer's refusal of one. */
  itemsSource?: string;
}

export interface ExportResult extends FinishedBundle {
  items: number;
  /** Items the item tower gave no direction (see zeroItems), exported and served all the same. */
  zeroEmbeddings: number;
  /** Seconds spent in the item tower vs. the whole export (index build included). */
  embedSeconds: number;
  totalSeconds: number;
}

/**
 * The build time the reproducible-builds convention asks for: SOURCE_DATE_EPOCH (seconds), when
 * set, instead of the clock, so the manifest (whose sha256 is the bundle digest) can repeat.
 */
export function sourceDateEpoch(env: NodeJS.ProcessEnv = process.env): Date | undefined {
  const text = env.SOURCE_DATE_EPOCH;
  if (text === undefined || text === "") return undefined;
  const date = new Date(Number(text) * 1000);
  if (!/^\d+$/.test(text) || !isManifestTime(date))
    throw new Error(
      `SOURCE_DATE_EPOCH=${text}: expected whole seconds since 1970-01-01 UTC, before the year 10000`,
    );
  return date;
}

/** A --model the writer would refuse, refused before the work that ends in writing it. */
export function checkModelFlag(model: string): void {
  try {
    checkBundleLabels({ model });
  } catch (err) {
    throw new Error(`--model: ${(err as Error).message}`, { cause: err });
  }
}

export async function exportBundle(x: ExportInputs): Promise<ExportResult> {
  const started = performance.now();
  const createdAt = sourceDateEpoch();
  const creating = BundleWriter.create({
    dir: x.dir,
    model: x.model,
    version: x.version,
    dims: x.dims,
    viewer: x.viewer,
    item: x.item,
    ...(x.index ?? {}),
    ...(createdAt ? { createdAt } : {}),
  });
  // Registered before create is done: it makes the temporary directory, then saves both towers
  // (hundreds of MB for a large catalogue). Removing the directory under it would only see it made
  // again by the next save, so a signal waits for create (which cleans up if it fails) and aborts.
  const release = onInterrupt(async () => (await creating.catch(() => undefined))?.abort());
  const writer = await creating.catch((err: Error) => {
    release();
    throw err;
  });
  let done = 0;
  let embedMs = 0;
  const zero = { count: 0, examples: [] as string[] };
  try {
    const batches = embedItemBatches(x.item.model, x.item.features, x.items, x.batchSize ?? 8192);
    for (;;) {
      const t0 = performance.now();
      const next = await batches.next();
      embedMs += performance.now() - t0;
      if (next.done) break;
      await writer.addItems(next.value.ids, next.value.vectors).catch((err: Error) => {
        // The items' own faults (a repeated id), not the disk's.
        const items = err instanceof BundleError && err.code === "invalid_input";
        throw items && x.itemsSource ? new Error(`${x.itemsSource}: ${err.message}`, { cause: err }) : err;
      });
      zeroItems(next.value.ids, next.value.vectors, x.dims, zero);
      done += next.value.ids.length;
      x.onProgress?.(done, x.itemCount);
    }
    const finished = await writer.finish({ metrics: x.metrics, params: x.params });
    if (zero.count > 0)
      log.warn(
        { zeroEmbeddings: zero.count, examples: zero.examples },
        `${zero.count} of ${done} items have a zero embedding, so they score 0 against every viewer whatever its taste (e.g. ${zero.examples.join(", ")}): their attributes overflow the item tower (a value too large for float32), or its units are dead for them`,
      );
    return {
      ...finished,
      items: done,
      zeroEmbeddings: zero.count,
      embedSeconds: embedMs / 1000,
      totalSeconds: (performance.now() - started) / 1000,
    };
  } catch (err) {
    await writer.abort();
    throw err;
  } finally {
    release();
  }
}

const ZERO_EXAMPLES = 5;

/** Counts into `found` the rows of `vectors` with no direction, which score 0 against every viewer. */
export function zeroItems(
  ids: readonly string[],
  vectors: Float32Array,
  dims: number,
  found: { count: number; examples: string[] },
): void {
  for (let r = 0; r < ids.length; r++) {
    if (!hasDirection(vectors, r * dims, dims)) {
      found.count++;
      if (found.examples.length < ZERO_EXAMPLES) found.examples.push(ids[r] as string);
    }
  }
}
