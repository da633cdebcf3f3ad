// JSON Schema of manifest.json, every formatVersion the reader reads. The reader refuses anything
// it does not accept, so a field added later needs a formatVersion bump, not a silent extension.
// Version 2 added the features' idHashes (a version-1 bundle's ids hash to one bucket).
import { Ajv } from "ajv";
import { MAX_ID_HASHES } from "../tower/features.ts";
import {
  type BundleManifest,
  MAX_CONNECTIVITY,
  MAX_EXPANSION,
  MAX_MODEL_NAME,
  METRICS,
  QUANTIZATIONS,
  READABLE_FORMAT_VERSIONS,
} from "./manifest.ts";

const relativePath = {
  type: "string",
  minLength: 1,
  maxLength: 512,
  // POSIX, relative, no "." or ".." segments, no empty segments: it cannot leave the bundle. The
  // lookaheads scan with [\s\S] because "." stops at a line break, which hid the ".." segments of
  // "x\n/../../etc"; control characters and line separators are refused outright.
  pattern:
    "^(?!/)(?![\\s\\S]*(^|/)\\.{1,2}(/|$))(?![\\s\\S]*//)[^\\\\\\u0000-\\u001f\\u007f-\\u009f\\u2028\\u2029]+$",
};
const positiveInt = { type: "integer", minimum: 1 };
const profileFeature = {
  oneOf: [
    {
      type: "object",
      additionalProperties: false,
      required: ["name", "kind"],
      properties: {
        name: { type: "string", minLength: 1 },
        kind: { const: "numeric" },
        center: { type: "number" },
        scale: { type: "number", exclusiveMinimum: 0 },
      },
    },
    {
      type: "object",
      additionalProperties: false,
      required: ["name", "kind", "buckets"],
      properties: {
        name: { type: "string", minLength: 1 },
        kind: { const: "categorical" },
        buckets: { type: "integer", minimum: 2 },
      },
    },
  ],
};
const scalar = { type: ["string", "number", "boolean"] };
const idHashes = { type: "integer", minimum: 1, maximum: MAX_ID_HASHES };
/** Version 1 has no idHashes; later versions require it, in both towers' features. */
const idHashesRule = (rule: object) => ({
  type: "object",
  properties: {
    viewerTower: { type: "object", properties: { features: rule } },
    itemTower: { type: "object", properties: { features: rule } },
  },
});
const withIdHashes = { type: "object", properties: { idHashes }, required: ["idHashes"] };

export const manifestSchema = {
  $id: "https://towerops.dev/schemas/bundle-manifest.json",
  type: "object",
  additionalProperties: false,
  required: [
    "formatVersion",
    "model",
    "version",
    "createdAt",
    "dims",
    "metric",
    "index",
    "items",
    "viewerTower",
    "itemTower",
    "training",
    "files",
  ],
  properties: {
    formatVersion: { enum: READABLE_FORMAT_VERSIONS },
    model: { type: "string", minLength: 1, maxLength: MAX_MODEL_NAME },
    version: { type: "string", minLength: 1, maxLength: 128 },
    createdAt: { type: "string", format: "date-time" },
    dims: { type: "integer", minimum: 1, maximum: 65536 },
    metric: { enum: METRICS },
    index: {
      type: "object",
      additionalProperties: false,
      required: ["file", "quantization", "connectivity", "expansionAdd", "expansionSearch"],
      properties: {
        file: relativePath,
        quantization: { enum: QUANTIZATIONS },
        // usearch refuses to build or open a graph of fewer links per node.
        connectivity: { type: "integer", minimum: 2, maximum: MAX_CONNECTIVITY },
        expansionAdd: { ...positiveInt, maximum: MAX_EXPANSION },
        expansionSearch: { ...positiveInt, maximum: MAX_EXPANSION },
      },
    },
    items: {
      type: "object",
      additionalProperties: false,
      required: ["count", "keysFile"],
      properties: { count: positiveInt, keysFile: relativePath },
    },
    viewerTower: {
      type: "object",
      additionalProperties: false,
      required: ["dir", "features"],
      properties: {
        dir: relativePath,
        features: {
          type: "object",
          additionalProperties: false,
          required: ["userIdBuckets", "itemIdBuckets", "historyLength", "profile"],
          properties: {
            userIdBuckets: { type: "integer", minimum: 2 },
            itemIdBuckets: { type: "integer", minimum: 2 },
            idHashes,
            historyLength: positiveInt,
            profile: { type: "array", items: profileFeature },
          },
        },
      },
    },
    itemTower: {
      type: "object",
      additionalProperties: false,
      required: ["dir", "features"],
      properties: {
        dir: relativePath,
        features: {
          type: "object",
          additionalProperties: false,
          required: ["itemIdBuckets", "attributes"],
          properties: {
            itemIdBuckets: { type: "integer", minimum: 2 },
            idHashes,
            attributes: { type: "array", items: profileFeature },
          },
        },
      },
    },
    training: {
      type: "object",
      additionalProperties: false,
      required: ["metrics", "params"],
      properties: {
        metrics: { type: "object", additionalProperties: { type: "number" } },
        params: { type: "object", additionalProperties: scalar },
      },
    },
    files: {
      type: "array",
      minItems: 1,
      items: {
        type: "object",
        additionalProperties: false,
        required: ["path", "sha256", "bytes"],
        properties: {
          path: relativePath,
          sha256: { type: "string", pattern: "^[0-9a-f]{64}$" },
          bytes: { type: "integer", minimum: 0 },
        },
      },
    },
  },
  if: { type: "object", properties: { formatVersion: { const: 1 } } },
  // biome-ignore lint/suspicious/noThenProperty: JSON Schema's if/then/else, never awaited
  then: idHashesRule({ not: withIdHashes }),
  else: idHashesRule(withIdHashes),
} as const;

const DATE_TIME =
  /^(?<year>\d{4})-(?<month>\d{2})-(?<day>\d{2})T(?<hour>\d{2}):(?<minute>\d{2}):(?<second>\d{2})(\.\d+)?(Z|[+-](?<offsetHours>\d{2}):(?<offsetMinutes>\d{2}))$/;

/**
 * RFC 3339 date-time, without pulling in ajv-formats: the one format the manifest uses. Digits in
 * the right places let 2026-13-45T99:99:99Z through, and Date.parse takes 2026-02-30 and 24:00,
 * so each field is held to its range as well, and the whole to what Date reads: no leap second,
 * which RFC 3339 allows but no writer writes and Date cannot hold.
 */
function isDateTime(text: string): boolean {
  const fields = DATE_TIME.exec(text)?.groups;
  if (!fields) return false;
  const n = (name: string) => Number(fields[name] ?? 0);
  const year = n("year");
  const leap = year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0);
  const days = [31, leap ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][n("month") - 1] ?? 0;
  return (
    n("day") >= 1 &&
    n("day") <= days &&
    n("hour") <= 23 &&
    n("minute") <= 59 &&
    n("second") <= 59 &&
    n("offsetHours") <= 23 &&
    n("offsetMinutes") <= 59 &&
    Number.isFinite(Date.parse(text))
  );
}

const ajv = new Ajv({ allErrors: true, strict: true, allowUnionTypes: true });
ajv.addFormat("date-time", isDateTime);
const validate = ajv.compile<BundleManifest>(manifestSchema);

/** Human-readable problems with `value` as a manifest; empty when valid. */
export function manifestProblems(value: unknown): string[] {
  if (validate(value)) return [];
  return (validate.errors ?? []).flatMap((e) => {
    // The failed branch of the formatVersion rule reports the problem itself.
    if (e.keyword === "if") return [];
    // The one "not" in the schema: version 1's features never had idHashes.
    if (e.keyword === "not")
      return [`${e.instancePath} has idHashes, which formatVersion 1 (one bucket per id) does not have`];
    return [`${e.instancePath || "/"} ${e.message ?? "is invalid"}`];
  });
}

export function isManifest(value: unknown): value is BundleManifest {
  return validate(value);
}
