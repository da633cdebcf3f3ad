// A viewer embedding that carries the version of the tower that produced it, and the digest of the
// bundle that version came from (two training runs can publish under one label). Only the client
// module can create one, and search accepts nothing else, so a vector cannot be sent to a host
// under a version, or a bundle, it was not embedded with.

const ISSUE = Symbol("towerops.embedding");

export class Embedding {
  readonly model: string;
  readonly version: string;
  readonly bundleDigest: string;
  readonly #vector: Float32Array;

  constructor(token: symbol, model: string, version: string, bundleDigest: string, vector: Float32Array) {
    if (token !== ISSUE) throw new TypeError("embeddings are created by RetrievalClient.embed only");
    this.model = model;
    this.version = version;
    this.bundleDigest = bundleDigest;
    this.#vector = vector;
    Object.freeze(this);
  }

  /** A copy: mutating it cannot change what a later search sends. */
  get vector(): Float32Array {
    return this.#vector.slice();
  }

  /** The wire form, read only by the client when it searches. */
  static wire(e: Embedding): number[] {
    if (!(e instanceof Embedding) || !(#vector in e)) {
      throw new TypeError("search takes an Embedding returned by RetrievalClient.embed");
    }
    return Array.from(e.#vector);
  }
}

export function issueEmbedding(
  model: string,
  version: string,
  bundleDigest: string,
  vector: readonly number[],
): Embedding {
  return new Embedding(ISSUE, model, version, bundleDigest, Float32Array.from(vector));
}
