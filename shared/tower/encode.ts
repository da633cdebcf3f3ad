// Deterministic feature encoding shared by training and serving: the same ViewerFeatures or
// ItemFeatures give the same arrays in the trainer and the runtime. Everything here is part of
// the bundle format (docs/bundle-format.md, "Encoding").
import { fitsFloat32 } from "../float32.ts";
import { featureText } from "./feature-text.ts";
import type {
  FeatureValue,
  ItemFeatureSpec,
  ItemFeatures,
  ProfileFeature,
  ViewerFeatureSpec,
  ViewerFeatures,
} from "./features.ts";
import { hashBucket, idBuckets, NS } from "./hash.ts";
import { isMissing } from "./missing.ts";

/**
 * A feature value the spec cannot encode; `code` is machine-readable for 400 answers. The message
 * names the row of the batch ("viewer 3: ..."); `problem` is the same without it, for a server
 * whose batch rows are not the caller's (coalesced requests) and that names the field its own way.
 */
export class FeatureError extends Error {
  readonly code: "invalid_id" | "invalid_history" | "unknown_feature" | "invalid_feature_value";
  readonly problem: string;
  constructor(code: FeatureError["code"], problem: string, row?: string) {
    super(row === undefined ? problem : `${row}: ${problem}`);
    this.name = "FeatureError";
    this.code = code;
    this.problem = problem;
  }
}

/**
 * Column layout of a feature list: categorical features share one embedding table, feature k
 * owning rows [offsets[k], offsets[k] + buckets_k) (row offsets[k] is its "missing" row).
 */
export interface FeatureLayout {
  categorical: { name: string; buckets: number; offset: number }[];
  numeric: { name: string; center: number; scale: number }[];
  /** Rows of the shared categorical table (sum of buckets). */
  categoricalRows: number;
}

export function featureLayout(features: ProfileFeature[]): FeatureLayout {
  const categorical: FeatureLayout["categorical"] = [];
  const numeric: FeatureLayout["numeric"] = [];
  let rows = 0;
  const seen = new Set<string>();
  for (const f of features) {
    if (seen.has(f.name)) throw new FeatureError("unknown_feature", `feature "${f.name}" is declared twice`);
    seen.add(f.name);
    if (f.kind === "numeric") numeric.push({ name: f.name, center: f.center ?? 0, scale: f.scale ?? 1 });
    else {
      categorical.push({ name: f.name, buckets: f.buckets, offset: rows });
      rows += f.buckets;
    }
  }
  return { categorical, numeric, categoricalRows: rows };
}

/** Row-major arrays, one row per viewer, in input order. H is the spec's idHashes. */
export interface EncodedViewers {
  count: number;
  /** [count, H] user-id buckets. */
  userId: Int32Array;
  /**
   * [count, historyLength × H] item buckets, an item's H side by side, most recent items kept,
   * left-aligned, 0-padded.
   */
  history: Int32Array;
  /** Same shape: 1/(len × H) on real entries, 0 on padding, so a dot product is the masked mean. */
  historyWeights: Float32Array;
  /** [count, categorical.length] rows into the shared categorical table. */
  categorical: Int32Array;
  /** [count, numeric.length] standardised values, 0 (the center) when missing. */
  numeric: Float32Array;
}

export interface EncodedItems {
  count: number;
  /** [count, H] item-id buckets. */
  itemId: Int32Array;
  categorical: Int32Array;
  numeric: Float32Array;
}

export function encodeViewers(spec: ViewerFeatureSpec, viewers: readonly ViewerFeatures[]): EncodedViewers {
  const n = viewers.length;
  const H = spec.idHashes;
  const L = spec.historyLength * H;
  const layout = featureLayout(spec.profile);
  const out: EncodedViewers = {
    count: n,
    userId: new Int32Array(n * H),
    history: new Int32Array(n * L),
    historyWeights: new Float32Array(n * L),
    categorical: new Int32Array(n * layout.categorical.length),
    numeric: new Float32Array(n * layout.numeric.length),
  };
  for (let r = 0; r < n; r++) {
    const v = viewers[r] as ViewerFeatures;
    const row = `viewer ${r}`;
    idBuckets(NS.user, checkId(v?.userId, row, "userId"), spec.userIdBuckets, H, out.userId, r * H);
    const history = v.history ?? [];
    if (!Array.isArray(history)) throw new FeatureError("invalid_history", "history must be an array", row);
    const recent = history.slice(Math.max(0, history.length - spec.historyLength));
    const at = r * L;
    for (let j = 0; j < recent.length; j++) {
      const id = checkId(recent[j], row, `history[${history.length - recent.length + j}]`);
      idBuckets(NS.item, id, spec.itemIdBuckets, H, out.history, at + j * H);
    }
    out.historyWeights.fill(1 / (recent.length * H), at, at + recent.length * H);
    encodeFeatureRow(layout, NS.profile, v.profile, r, out, row, "profile");
  }
  return out;
}

export function encodeItems(spec: ItemFeatureSpec, items: readonly ItemFeatures[]): EncodedItems {
  const n = items.length;
  const H = spec.idHashes;
  const layout = featureLayout(spec.attributes);
  const out: EncodedItems = {
    count: n,
    itemId: new Int32Array(n * H),
    categorical: new Int32Array(n * layout.categorical.length),
    numeric: new Float32Array(n * layout.numeric.length),
  };
  for (let r = 0; r < n; r++) {
    const item = items[r] as ItemFeatures;
    const row = `item ${r}`;
    idBuckets(NS.item, checkId(item?.itemId, row, "itemId"), spec.itemIdBuckets, H, out.itemId, r * H);
    encodeFeatureRow(layout, NS.attribute, item.attributes, r, out, row, "attributes");
  }
  return out;
}

function checkId(id: unknown, row: string, field: string): string {
  if (typeof id !== "string" || id.length === 0) {
    throw new FeatureError(
      "invalid_id",
      `${field} must be a non-empty string, got ${JSON.stringify(id)}`,
      row,
    );
  }
  return id;
}

// A feature named "constructor" or "valueOf" that a request leaves out must read as missing, not
// as the function every object inherits under that name.
const own = (values: object, name: string): unknown =>
  Object.hasOwn(values, name) ? (values as Record<string, unknown>)[name] : undefined;

function encodeFeatureRow(
  layout: FeatureLayout,
  namespace: (name: string) => string,
  values: Record<string, FeatureValue> | undefined,
  r: number,
  out: { categorical: Int32Array; numeric: Float32Array },
  row: string,
  where: string,
): void {
  const nc = layout.categorical.length;
  const nn = layout.numeric.length;
  const given = values ?? {};
  if (typeof given !== "object" || Array.isArray(given)) {
    throw new FeatureError("invalid_feature_value", `${where} must be an object`, row);
  }
  for (const name of Object.keys(given)) {
    if (!layout.numeric.some((f) => f.name === name) && !layout.categorical.some((c) => c.name === name)) {
      throw new FeatureError("unknown_feature", `${where}: unknown feature "${name}"`, row);
    }
  }
  for (let k = 0; k < nc; k++) {
    const c = layout.categorical[k] as FeatureLayout["categorical"][number];
    const v = own(given, c.name);
    let bucket = 0;
    if (!isMissing(v)) {
      if (typeof v !== "string" && !(typeof v === "number" && Number.isFinite(v))) {
        throw new FeatureError(
          "invalid_feature_value",
          `${where}.${c.name} must be a string or finite number, got ${JSON.stringify(v)}`,
          row,
        );
      }
      // As the trainer's tables read it: "tv " is the category "tv".
      bucket = hashBucket(namespace(c.name), typeof v === "string" ? featureText(v) : String(v), c.buckets);
    }
    out.categorical[r * nc + k] = c.offset + bucket;
  }
  for (let k = 0; k < nn; k++) {
    const { name, center, scale } = layout.numeric[k] as FeatureLayout["numeric"][number];
    const v = own(given, name);
    if (isMissing(v)) continue;
    // A CSV cell "3.5" was trained as 3.5 only because CSV has no types; JSON has, and a JSONL
    // table's string "3.5" would have made its column categorical. A string here is the caller's
    // mistake to name, not a number to guess.
    if (typeof v === "string")
      throw new FeatureError(
        "invalid_feature_value",
        `${where}.${name} is a numeric feature: send it as a JSON number, not the string ${JSON.stringify(v)}`,
        row,
      );
    // Checked once standardised too: a scale below 1 can carry a value float32 holds past its range.
    const x = typeof v === "number" ? (v - center) / scale : Number.NaN;
    if (typeof v !== "number" || !fitsFloat32(v) || !fitsFloat32(x)) {
      throw new FeatureError(
        "invalid_feature_value",
        `${where}.${name} must be a finite number within float32's range (at most 3.4e38) once standardised, got ${JSON.stringify(v)}`,
        row,
      );
    }
    out.numeric[r * nn + k] = x;
  }
}
