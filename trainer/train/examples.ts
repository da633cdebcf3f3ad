// Turns interned training rows into encoded tower inputs quickly. Every id is hashed once (by the
// shared encoders) into per-user / per-item caches; a batch then only copies ints. Each event's
// viewer history is the user's previous items, so the model never sees the item it must predict.
import {
  type EncodedItems,
  type EncodedViewers,
  encodeItems,
  encodeViewers,
  featureLayout,
} from "../../shared/tower/encode.ts";
import type {
  ItemFeatureSpec,
  ItemFeatures,
  ViewerFeatureSpec,
  ViewerFeatures,
} from "../../shared/tower/features.ts";
import { idBuckets, NS } from "../../shared/tower/hash.ts";
import type { FeatureTable } from "../data/features.ts";
import type { InteractionTable, Vocab } from "../data/table.ts";

export interface FeatureCache {
  viewerSpec: ViewerFeatureSpec;
  itemSpec: ItemFeatureSpec;
  /** Per user index: userId bucket, profile columns. */
  users: EncodedViewers;
  /** Per item index: item-tower encoding. */
  items: EncodedItems;
  /** Per item index: its idHashes buckets as a history entry of the viewer tower. */
  historyBuckets: Int32Array;
}

export function buildFeatureCache(
  users: Vocab,
  items: Vocab,
  viewerSpec: ViewerFeatureSpec,
  itemSpec: ItemFeatureSpec,
  userFeatures?: FeatureTable,
  itemFeatures?: FeatureTable,
): FeatureCache {
  return {
    viewerSpec,
    itemSpec,
    users: encodeViewers(
      viewerSpec,
      users.ids.map((id) => viewerOf(id, [], userFeatures)),
    ),
    items: encodeItems(
      itemSpec,
      items.ids.map((id) => itemOf(id, itemFeatures)),
    ),
    historyBuckets: historyBucketsOf(items.ids, viewerSpec),
  };
}

function historyBucketsOf(ids: readonly string[], spec: ViewerFeatureSpec): Int32Array {
  const H = spec.idHashes;
  const out = new Int32Array(ids.length * H);
  ids.forEach((id, i) => {
    idBuckets(NS.item, id, spec.itemIdBuckets, H, out, i * H);
  });
  return out;
}

export function viewerOf(userId: string, history: string[], userFeatures?: FeatureTable): ViewerFeatures {
  const profile = userFeatures?.get(userId);
  return profile ? { userId, history, profile } : { userId, history };
}

export function itemOf(itemId: string, itemFeatures?: FeatureTable): ItemFeatures {
  const attributes = itemFeatures?.get(itemId);
  return attributes ? { itemId, attributes } : { itemId };
}

/** Per-row pointers into a per-user time order, so a row's preceding items are a slice. */
export class Timelines {
  readonly table: InteractionTable;
  /** Rows sorted by (user, time). */
  readonly order: Int32Array;
  /**
   * For each row: where its history ends in `order`, at the first of its user's events with its
   * timestamp, and where its user's slice starts. Events of one moment are not each other's
   * history: a duplicated event would see its own label, and a user who rated many items in one
   * second (MovieLens) has no order among them that serving could reproduce.
   */
  readonly historyEnd: Int32Array;
  readonly start: Int32Array;

  constructor(table: InteractionTable) {
    this.table = table;
    this.order = new Int32Array(table.length);
    this.historyEnd = new Int32Array(table.length);
    this.start = new Int32Array(table.length);
    let k = 0;
    for (const rows of table.rowsByUser().values()) {
      const s = k;
      let moment = k;
      for (const r of rows) {
        if (k > s && table.timestamp[r] !== table.timestamp[this.order[k - 1] as number]) moment = k;
        this.order[k] = r;
        this.historyEnd[r] = moment;
        this.start[r] = s;
        k++;
      }
    }
  }

  /** Item indices of the user's last `n` training events (most recent last), for evaluation/serving. */
  lastItems(user: number, n: number, byUser: Map<number, number[]>): number[] {
    const rows = byUser.get(user) ?? [];
    return rows.slice(Math.max(0, rows.length - n)).map((r) => this.table.item[r] as number);
  }
}

export interface Batch {
  viewers: EncodedViewers;
  items: EncodedItems;
  /** Item index of each row's positive. */
  itemIndex: Int32Array;
  weights: Float32Array;
}

/** Encodes table rows exactly as encodeViewers/encodeItems would encode the same features. */
export function assembleBatch(rows: ArrayLike<number>, tl: Timelines, cache: FeatureCache): Batch {
  const n = rows.length;
  const t = tl.table;
  const vh = cache.viewerSpec.idHashes;
  const ih = cache.itemSpec.idHashes;
  const length = cache.viewerSpec.historyLength;
  const L = length * vh;
  const vl = featureLayout(cache.viewerSpec.profile);
  const il = featureLayout(cache.itemSpec.attributes);
  const vc = vl.categorical.length;
  const vn = vl.numeric.length;
  const ic = il.categorical.length;
  const inum = il.numeric.length;
  const viewers: EncodedViewers = {
    count: n,
    userId: new Int32Array(n * vh),
    history: new Int32Array(n * L),
    historyWeights: new Float32Array(n * L),
    categorical: new Int32Array(n * vc),
    numeric: new Float32Array(n * vn),
  };
  const items: EncodedItems = {
    count: n,
    itemId: new Int32Array(n * ih),
    categorical: new Int32Array(n * ic),
    numeric: new Float32Array(n * inum),
  };
  const itemIndex = new Int32Array(n);
  const weights = new Float32Array(n);
  for (let b = 0; b < n; b++) {
    const r = rows[b] as number;
    const u = t.user[r] as number;
    const i = t.item[r] as number;
    itemIndex[b] = i;
    weights[b] = t.weight[r] as number;
    viewers.userId.set(cache.users.userId.subarray(u * vh, (u + 1) * vh), b * vh);
    viewers.categorical.set(cache.users.categorical.subarray(u * vc, (u + 1) * vc), b * vc);
    viewers.numeric.set(cache.users.numeric.subarray(u * vn, (u + 1) * vn), b * vn);
    const end = tl.historyEnd[r] as number;
    const from = Math.max(tl.start[r] as number, end - length);
    const len = end - from;
    for (let j = 0; j < len; j++) {
      const h = t.item[tl.order[from + j] as number] as number;
      viewers.history.set(cache.historyBuckets.subarray(h * vh, (h + 1) * vh), b * L + j * vh);
    }
    viewers.historyWeights.fill(1 / (len * vh), b * L, b * L + len * vh);
    items.itemId.set(cache.items.itemId.subarray(i * ih, (i + 1) * ih), b * ih);
    items.categorical.set(cache.items.categorical.subarray(i * ic, (i + 1) * ic), b * ic);
    items.numeric.set(cache.items.numeric.subarray(i * inum, (i + 1) * inum), b * inum);
  }
  return { viewers, items, itemIndex, weights };
}
