// The serving side of the viewer tower: features in, L2-normalised embeddings out.
import * as tf from "@tensorflow/tfjs";
import type { ViewerTower } from "../bundle/bundle.ts";
import { loadModel } from "../tf/model-io.ts";
import { encodeViewers } from "./encode.ts";
import type { ViewerFeatureSpec, ViewerFeatures } from "./features.ts";
import { towerDims, viewerInputs } from "./towers.ts";
import "./layers.ts";

class LayersViewerTower implements ViewerTower {
  readonly version: string;
  readonly dims: number;
  private readonly model: tf.LayersModel;
  private readonly spec: ViewerFeatureSpec;

  constructor(model: tf.LayersModel, spec: ViewerFeatureSpec, version: string) {
    this.model = model;
    this.spec = spec;
    this.version = version;
    this.dims = towerDims(model);
  }

  /** Throws FeatureError (with a `code`) on features the spec cannot encode. */
  async embed(viewers: ViewerFeatures[]): Promise<Float32Array> {
    if (viewers.length === 0) return new Float32Array(0);
    const enc = encodeViewers(this.spec, viewers);
    const out = tf.tidy(
      () => this.model.apply(viewerInputs(this.spec, enc), { training: false }) as tf.Tensor,
    );
    try {
      return (await out.data()) as Float32Array;
    } finally {
      out.dispose();
    }
  }

  dispose(): void {
    this.model.dispose();
  }
}

export function createViewerTower(
  model: tf.LayersModel,
  spec: ViewerFeatureSpec,
  version: string,
): ViewerTower {
  return new LayersViewerTower(model, spec, version);
}

/** Loads a viewer tower saved with model-io; call initTensorflow() first. */
export async function loadViewerTower(
  dir: string,
  spec: ViewerFeatureSpec,
  version: string,
): Promise<ViewerTower> {
  return createViewerTower(await loadModel(dir), spec, version);
}
