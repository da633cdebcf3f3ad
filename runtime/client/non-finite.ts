// JSON has no NaN or Infinity: JSON.stringify writes them as null, which the server reads as a
// missing profile value (shared/tower/missing.ts), so a NaN age would be served, without a word,
// as a user of no known age; of a k the caller did give it says "must be an integer". The client
// names them itself, as the server names 1e999 (which JSON.parse reads as Infinity).

import { fieldName } from "./field-name.ts";

export interface RequestBody {
  /** The body as JSON.stringify writes it, a NaN or ±Infinity as null. */
  json: string;
  /** Where the first NaN or ±Infinity is, named as the server names fields: not to be sent. */
  nonFinite: string | undefined;
}

// A null token of the written JSON: a NaN or ±Infinity, or a null the body holds (a missing
// profile value), or, rarely, such text inside a string.
const NULL_TOKEN = /[[:,]null[\]},]/;

/**
 * The body as JSON, and where a NaN or ±Infinity is. A body without a null token, the common one,
 * costs JSON.stringify alone (its fast path: a replacer, called for every value, took 2 to 4 times
 * as long); only one with a null token is walked for the field. A cyclic body is JSON.stringify's
 * TypeError.
 */
export function requestBody(body: unknown): RequestBody {
  const json = JSON.stringify(body);
  const path = NULL_TOKEN.test(json) ? nonFinitePath(body) : undefined;
  return { json, nonFinite: path?.reduce<string>(fieldName, "") };
}

/**
 * Where the first NaN or ±Infinity under `value` is: the keys and indices down to it, outermost
 * first (none for `value` itself). Called only on a body JSON.stringify has written, so one without
 * a cycle; a path is built only for the one found.
 */
function nonFinitePath(value: unknown): (string | number)[] | undefined {
  if (typeof value === "number") return Number.isFinite(value) ? undefined : [];
  if (typeof value !== "object" || value === null) return undefined;
  const keys: (string | number)[] = Array.isArray(value) ? value.map((_, i) => i) : Object.keys(value);
  for (const key of keys) {
    const below = nonFinitePath((value as Record<string | number, unknown>)[key]);
    if (below !== undefined) return [key, ...below];
  }
  return undefined;
}
