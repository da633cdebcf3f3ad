// What a viewer (user) and an item look like on the wire, and how the towers encode them.
// Shared by the trainer (which fixes the spec) and the runtime (which must encode requests
// exactly the way training did), so the hashing lives here, once.

/** A profile or attribute value; null, and the texts missing.ts names, are a missing one. */
export type FeatureValue = number | string | null;

/** A viewer as a backend sends it to /v1/embed and /v1/retrieve. */
export interface ViewerFeatures {
  userId: string;
  /** Recent engaged item ids, most recent last; pooled into the long-term engagement input. */
  history?: string[];
  /** Optional profile features by name. */
  profile?: Record<string, FeatureValue>;
}

export interface ItemFeatures {
  itemId: string;
  attributes?: Record<string, FeatureValue>;
}

/**
 * A numeric feature enters its tower as (value - center) / scale, the training table's mean and
 * standard deviation: raw years (1950-2020) or zip codes would swamp every other input and collapse
 * the tower. Specs written before these were recorded have neither, and read raw values.
 */
export interface NumericFeature {
  name: string;
  kind: "numeric";
  center?: number;
  scale?: number;
}

export type ProfileFeature = NumericFeature | { name: string; kind: "categorical"; buckets: number };

/**
 * Most buckets an id may hash to, for the manifest schema and the trainer's flag alike. Each is one
 * more lookup per id and history item; past a few, collisions are already gone.
 */
export const MAX_ID_HASHES = 8;

export interface ViewerFeatureSpec {
  /** Hash buckets for user ids, so users unseen in training still embed. */
  userIdBuckets: number;
  /** Buckets each user id and history item id hashes to; their rows are averaged (hash.ts). */
  idHashes: number;
  /** Hash buckets for item ids in the history input. */
  itemIdBuckets: number;
  /** Max history items pooled; longer histories keep the most recent. */
  historyLength: number;
  profile: ProfileFeature[];
}

export interface ItemFeatureSpec {
  itemIdBuckets: number;
  /** Buckets each item id hashes to; their rows are averaged (hash.ts). */
  idHashes: number;
  attributes: ProfileFeature[];
}
