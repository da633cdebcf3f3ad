// A tower and the feature spec it is served or exported with come from different files (model.json
// vs manifest.json or checkpoint.json). If they disagree, encoding still succeeds and the failure
// surfaces per request as a tfjs kernel error ("GatherV2: the index value 1056 is not in [0, 1023]")
// or, worse, as ids hashed into the wrong rows. Comparing them at load time names the disagreement.
import type * as tf from "@tensorflow/tfjs";
import { featureLayout } from "./encode.ts";
import type { ItemFeatureSpec, ProfileFeature, ViewerFeatureSpec } from "./features.ts";

type Spec = { kind: "viewer"; features: ViewerFeatureSpec } | { kind: "item"; features: ItemFeatureSpec };

/** Where the tower differs from the spec, one line each; empty when they agree. */
export function towerSpecMismatches(model: tf.LayersModel, spec: Spec): string[] {
  const layer = (name: string) => model.layers.find((l) => l.name === name);
  const rows = (name: string) => layer(name)?.getConfig().inputDim as number | undefined;
  // An input layer's batch shape is [batch, width].
  const width = (name: string) =>
    (layer(name)?.getConfig().batchInputShape as (number | null)[] | undefined)?.[1] ?? undefined;
  const out: string[] = [];
  const expect = (what: string, actual: number | undefined, wanted: number | undefined) => {
    if (actual === wanted) return;
    const show = (v: number | undefined) => (v === undefined ? "none" : String(v));
    out.push(`${what}: the tower has ${show(actual)}, the spec says ${show(wanted)}`);
  };
  const side = (prefix: string, features: ProfileFeature[]) => {
    const layout = featureLayout(features);
    const categorical = layout.categorical.length > 0;
    expect(
      `${prefix} categorical inputs`,
      width(`${prefix}_categorical`),
      categorical ? layout.categorical.length : undefined,
    );
    expect(
      `${prefix} categorical rows`,
      rows(`${prefix}_categorical_embedding`),
      categorical ? layout.categoricalRows : undefined,
    );
    expect(`${prefix} numeric inputs`, width(`${prefix}_numeric`), layout.numeric.length || undefined);
  };
  if (spec.kind === "viewer") {
    expect("user-id buckets", rows("viewer_user_embedding"), spec.features.userIdBuckets);
    expect("history item-id buckets", rows("viewer_history_embedding"), spec.features.itemIdBuckets);
    expect("user-id hashes", width("viewer_user_id"), spec.features.idHashes);
    expect(
      "history inputs (length × id hashes)",
      width("viewer_history"),
      spec.features.historyLength * spec.features.idHashes,
    );
    side("viewer_profile", spec.features.profile);
  } else {
    expect("item-id buckets", rows("item_id_embedding"), spec.features.itemIdBuckets);
    expect("item-id hashes", width("item_item_id"), spec.features.idHashes);
    side("item_attributes", spec.features.attributes);
  }
  return out;
}
