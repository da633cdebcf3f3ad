// The id embedding tables dominate a trainer's memory and are sized by flags (buckets × width). An
// impossible size would otherwise surface after the data is read as "Array buffer allocation
// failed", or as an OOM kill of a retraining Job with no message at all.
import { totalmem } from "node:os";
import bytes from "bytes";
import { bucketsFor, type TrainConfig } from "./config.ts";

type TableConfig = Pick<TrainConfig, "userIdBuckets" | "itemIdBuckets" | "embeddingDim" | "optimizer">;

/**
 * Copies of every table value at the command's peak: while training, the tfjs variable, the sparse
 * trainer's values and the optimizer's slots; with a comparison run, the finished model's variable
 * too, held for export while the comparison trains.
 */
export function copiesPerValue(optimizer: TrainConfig["optimizer"], comparison = false): number {
  return 2 + (optimizer === "adam" ? 2 : 1) + (comparison ? 1 : 0);
}

/**
 * Rows of the id tables: the viewer's user-id table, and two tables at the item buckets (the item
 * tower's id table and the viewer tower's history table, which hash item ids the same way).
 */
function idTableRows(config: TableConfig, users: number, items: number) {
  const user = bucketsFor(users, config.userIdBuckets);
  const item = bucketsFor(items, config.itemIdBuckets);
  return { user, item, total: user + 2 * item };
}

export function idTableBytes(config: TableConfig, users: number, items: number, comparison = false): number {
  return (
    idTableRows(config, users, items).total *
    config.embeddingDim *
    4 *
    copiesPerValue(config.optimizer, comparison)
  );
}

/** What this process may use: the cgroup limit in a container, else the machine's memory. */
export function memoryLimit(): number {
  const constrained = process.constrainedMemory();
  return constrained > 0 ? Math.min(constrained, totalmem()) : totalmem();
}

export interface FitOptions {
  /** Whether an uncorrected comparison run trains after the model. */
  comparison?: boolean;
  limit?: number;
}

export function assertTablesFit(
  config: TableConfig,
  users: number,
  items: number,
  { comparison = false, limit = memoryLimit() }: FitOptions = {},
): void {
  const need = idTableBytes(config, users, items, comparison);
  if (need <= limit) return;
  const rows = idTableRows(config, users, items);
  const copies = `× ${copiesPerValue(config.optimizer, comparison)} for the tensor, its training copy and ${config.optimizer}'s state${comparison ? ", and the trained model's tensor while the uncorrected comparison run trains" : ""}`;
  throw new Error(
    `the id embedding tables need ${bytes(need)} (${rows.user} user + 2 × ${rows.item} item buckets, for the item tower and the viewer's history, × ${config.embeddingDim} dims × 4 bytes, ${copies}), more than the ${bytes(limit)} this process may use; lower --user-buckets, --item-buckets or --embedding-dim${comparison ? ", or pass --no-compare" : ""}`,
  );
}
