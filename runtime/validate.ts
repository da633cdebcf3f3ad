// Request-body validation for every runtime route. Hand-written rather than a schema library so each
// failure names the exact field (`queries[3].vector[17]`) and maps to one ApiError code.
import type { Metric } from "../shared/bundle/manifest.ts";
import { FLOAT32_MAX, MIN_RANKING_SQUARED_LENGTH } from "../shared/float32.ts";
import type { FeatureValue, ViewerFeatures } from "../shared/tower/features.ts";
import { fieldName } from "./client/field-name.ts";
import { ApiError } from "./errors.ts";

export interface Limits {
  dims: number;
  /** The served index's distance: under ip and cos an all-zero vector has no direction. */
  metric?: Metric;
  maxK: number;
  /** Most entries in one batch request. */
  maxBatch: number;
  /** Most ids in one `exclude` list. */
  maxExclude: number;
}

export interface SearchQuery {
  vector: Float32Array;
  k: number;
  exclude: string[];
}

export interface RetrieveQuery {
  viewer: ViewerFeatures;
  k: number;
  exclude: string[];
}

type Json = Record<string, unknown>;

const at = fieldName;

function object(v: unknown, field: string, allowed: readonly string[]): Json {
  if (typeof v !== "object" || v === null || Array.isArray(v)) {
    throw new ApiError("invalid_type", `${field || "body"} must be a JSON object`, field || undefined);
  }
  for (const key of Object.keys(v)) {
    if (!allowed.includes(key)) {
      throw new ApiError(
        "unknown_field",
        `unknown field ${at(field, key)} (allowed: ${allowed.join(", ")})`,
        at(field, key),
      );
    }
  }
  return v as Json;
}

function present(o: Json, key: string, field: string): unknown {
  const v = o[key];
  if (v === undefined) throw new ApiError("missing_field", `${at(field, key)} is required`, at(field, key));
  return v;
}

function string(v: unknown, field: string): string {
  if (typeof v !== "string") throw new ApiError("invalid_type", `${field} must be a string`, field);
  if (v.length === 0) throw new ApiError("invalid_value", `${field} must not be empty`, field);
  return v;
}

function array(v: unknown, field: string, max: number): unknown[] {
  if (!Array.isArray(v)) throw new ApiError("invalid_type", `${field} must be an array`, field);
  if (v.length > max) {
    throw new ApiError("batch_too_large", `${field} has ${v.length} entries; at most ${max} allowed`, field);
  }
  return v;
}

function finite(v: unknown, field: string): number {
  if (typeof v !== "number") throw new ApiError("invalid_type", `${field} must be a number`, field);
  if (!Number.isFinite(v)) throw new ApiError("not_finite", `${field} must be finite`, field);
  return v;
}

export function parseVersion(v: unknown, field = "version"): string {
  return string(v, field);
}

const MAX_SQUARED_LENGTH = FLOAT32_MAX / 4;

export function parseVector(v: unknown, field: string, dims: number, metric?: Metric): Float32Array {
  if (!Array.isArray(v)) throw new ApiError("invalid_type", `${field} must be an array of numbers`, field);
  if (v.length !== dims) {
    throw new ApiError("wrong_dims", `${field} has ${v.length} dims; this model has ${dims}`, field, {
      expectedDims: dims,
      actualDims: v.length,
    });
  }
  const out = new Float32Array(dims);
  let squaredLength = 0;
  for (let i = 0; i < dims; i++) {
    const x = finite(v[i], at(field, i));
    out[i] = x;
    // 1e39 is a finite double but overflows float32, which the index would then see as Infinity.
    if (!Number.isFinite(out[i]))
      throw new ApiError("not_finite", `${at(field, i)} overflows float32`, at(field, i));
    squaredLength += x * x;
  }
  // Elements that each fit float32 can still overflow the index's float32 sums (-3e38 in every
  // dim scores Infinity against any item), and the results would carry null scores in an
  // arbitrary order. A quarter of float32's range bounds every partial sum of ip, cos and l2sq
  // against unit-length items (Cauchy-Schwarz), and no embedding comes near it.
  if (squaredLength > MAX_SQUARED_LENGTH)
    throw new ApiError(
      "not_finite",
      `${field} is too long to score in float32 (squared length ${squaredLength.toExponential(2)}, at most ${MAX_SQUARED_LENGTH.toExponential(2)})`,
      field,
    );
  // A zero vector scores every item alike (0 under ip, NaN under cos), so its "results" would be an
  // arbitrary slice of the index: almost always a client that sent an unset embedding.
  if (metric !== undefined && metric !== "l2sq" && out.every((x) => x === 0)) {
    throw new ApiError(
      "invalid_value",
      `${field} is all zeros, which has no direction under the ${metric} metric`,
      field,
    );
  }
  // The tower's own embeddings have length 1; a client's scaled far below it is a bug, not a query.
  if (metric === "ip" && squaredLength < MIN_RANKING_SQUARED_LENGTH) {
    throw new ApiError(
      "invalid_value",
      `${field} is too short to rank under the ip metric in float32 (length ${Math.sqrt(squaredLength).toExponential(1)}, at least ${Math.sqrt(MIN_RANKING_SQUARED_LENGTH).toExponential(0)}): send the embedding as the viewer tower gives it`,
      field,
    );
  }
  return out;
}

export function parseK(v: unknown, field: string, maxK: number): number {
  // 1e309 parses to Infinity: the error table's not_finite, as for a vector's elements.
  if (typeof v === "number" && !Number.isFinite(v))
    throw new ApiError("not_finite", `${field} is not a finite number`, field);
  if (typeof v !== "number" || !Number.isInteger(v)) {
    throw new ApiError("invalid_type", `${field} must be an integer`, field);
  }
  if (v < 1 || v > maxK)
    throw new ApiError("k_out_of_range", `${field} must be between 1 and ${maxK}`, field);
  return v;
}

function parseExclude(v: unknown, field: string, max: number): string[] {
  if (v === undefined) return [];
  return array(v, field, max).map((id, i) => string(id, at(field, i)));
}

/**
 * A categorical feature takes a number as well as a string, and this does not know which features
 * are numeric: a string given to one of those is the tower's to refuse (invalid_features). null is
 * a missing value, as in a JSONL table the tower was trained on (shared/tower/missing.ts).
 */
function profileValue(v: unknown, field: string): FeatureValue {
  if (typeof v === "string" || v === null) return v;
  if (typeof v !== "number")
    throw new ApiError("invalid_type", `${field} must be a number, a string or null`, field);
  return finite(v, field);
}

export function parseViewer(v: unknown, field: string): ViewerFeatures {
  const o = object(v, field, ["userId", "history", "profile"]);
  const viewer: ViewerFeatures = { userId: string(present(o, "userId", field), at(field, "userId")) };
  if (o.history !== undefined) {
    const f = at(field, "history");
    if (!Array.isArray(o.history)) throw new ApiError("invalid_type", `${f} must be an array of item ids`, f);
    viewer.history = o.history.map((id, i) => string(id, at(f, i)));
  }
  if (o.profile !== undefined) {
    const f = at(field, "profile");
    if (typeof o.profile !== "object" || o.profile === null || Array.isArray(o.profile)) {
      throw new ApiError("invalid_type", `${f} must be an object of numbers, strings or nulls`, f);
    }
    // Defined, not assigned: a feature named "__proto__" would otherwise set the prototype, vanish,
    // and skip the unknown-feature check.
    viewer.profile = Object.fromEntries(
      Object.entries(o.profile).map(([name, value]) => [name, profileValue(value, at(f, name))]),
    );
  }
  return viewer;
}

function parseSearchQuery(o: Json, field: string, limits: Limits): SearchQuery {
  return {
    vector: parseVector(present(o, "vector", field), at(field, "vector"), limits.dims, limits.metric),
    k: parseK(present(o, "k", field), at(field, "k"), limits.maxK),
    exclude: parseExclude(o.exclude, at(field, "exclude"), limits.maxExclude),
  };
}

function parseRetrieveQuery(o: Json, field: string, limits: Limits): RetrieveQuery {
  return {
    viewer: parseViewer(present(o, "viewer", field), at(field, "viewer")),
    k: parseK(present(o, "k", field), at(field, "k"), limits.maxK),
    exclude: parseExclude(o.exclude, at(field, "exclude"), limits.maxExclude),
  };
}

const optionalVersion = (o: Json): string | undefined =>
  o.version === undefined ? undefined : parseVersion(o.version);

const DIGEST = /^[0-9a-f]{64}$/;

/** The sha256 (hex) of a bundle's manifest: two bundles may share a version label, never a digest. */
export function parseBundleDigest(v: unknown, field = "bundleDigest"): string {
  if (!DIGEST.test(string(v, field)))
    throw new ApiError(
      "invalid_value",
      `${field} must be 64 lowercase hex digits (a bundle's sha256)`,
      field,
    );
  return v as string;
}

/**
 * The version and digest a body pins, read before the body is parsed, so that a pin to a version
 * served nowhere (404) or to another bundle (409) is what the caller hears even when the rest of the
 * body is wrong too: it was built for that other version. A digest no bundle can have (uppercase,
 * short) is the caller's typo, not another version, and is refused as such.
 */
export function peekPin(body: unknown): { version: string | undefined; bundleDigest: string | undefined } {
  const field = (key: string) => {
    const v = (body as Record<string, unknown> | null)?.[key];
    return typeof v === "string" && v.length > 0 ? v : undefined;
  };
  const digest = field("bundleDigest");
  return {
    version: field("version"),
    bundleDigest: digest === undefined ? undefined : parseBundleDigest(digest),
  };
}

const optionalDigest = (o: Json): string | undefined =>
  o.bundleDigest === undefined ? undefined : parseBundleDigest(o.bundleDigest);

/** POST /v1/search: the version is mandatory, it is the whole point of the route. */
export function parseSearch(
  body: unknown,
  limits: Limits,
): SearchQuery & { version: string; bundleDigest: string | undefined } {
  const o = object(body, "", ["vector", "k", "version", "bundleDigest", "exclude"]);
  const version = parseVersion(present(o, "version", ""));
  return { ...parseSearchQuery(o, "", limits), version, bundleDigest: optionalDigest(o) };
}

export function parseSearchBatch(
  body: unknown,
  limits: Limits,
): { version: string; bundleDigest: string | undefined; queries: SearchQuery[] } {
  const o = object(body, "", ["queries", "version", "bundleDigest"]);
  const version = parseVersion(present(o, "version", ""));
  const queries = array(present(o, "queries", ""), "queries", limits.maxBatch).map((q, i) =>
    parseSearchQuery(object(q, at("queries", i), ["vector", "k", "exclude"]), at("queries", i), limits),
  );
  return { version, bundleDigest: optionalDigest(o), queries };
}

export function parseEmbed(body: unknown): {
  viewer: ViewerFeatures;
  version: string | undefined;
  bundleDigest: string | undefined;
} {
  const o = object(body, "", ["viewer", "version", "bundleDigest"]);
  return {
    viewer: parseViewer(present(o, "viewer", ""), "viewer"),
    version: optionalVersion(o),
    bundleDigest: optionalDigest(o),
  };
}

export function parseEmbedBatch(
  body: unknown,
  limits: Limits,
): { viewers: ViewerFeatures[]; version: string | undefined; bundleDigest: string | undefined } {
  const o = object(body, "", ["viewers", "version", "bundleDigest"]);
  const viewers = array(present(o, "viewers", ""), "viewers", limits.maxBatch).map((v, i) =>
    parseViewer(v, at("viewers", i)),
  );
  return { viewers, version: optionalVersion(o), bundleDigest: optionalDigest(o) };
}

export function parseRetrieve(
  body: unknown,
  limits: Limits,
): RetrieveQuery & { version: string | undefined; bundleDigest: string | undefined } {
  const o = object(body, "", ["viewer", "k", "exclude", "version", "bundleDigest"]);
  return {
    ...parseRetrieveQuery(o, "", limits),
    version: optionalVersion(o),
    bundleDigest: optionalDigest(o),
  };
}

export function parseRetrieveBatch(
  body: unknown,
  limits: Limits,
): { version: string | undefined; bundleDigest: string | undefined; requests: RetrieveQuery[] } {
  const o = object(body, "", ["requests", "version", "bundleDigest"]);
  const requests = array(present(o, "requests", ""), "requests", limits.maxBatch).map((r, i) =>
    parseRetrieveQuery(object(r, at("requests", i), ["viewer", "k", "exclude"]), at("requests", i), limits),
  );
  return { version: optionalVersion(o), bundleDigest: optionalDigest(o), requests };
}
