// JSON has no NaN or Infinity: JSON.stringify sends them as null, which the server would read as a
// missing profile value, or say "must be an integer" of a k the caller did give. The client names
// them itself, as the server names 1e999 (which JSON.parse reads as Infinity).

/** Where the first NaN or ±Infinity in a request body is, named as the server names fields. */
export function nonFiniteField(value: unknown, field = ""): string | undefined {
  if (typeof value === "number") return Number.isFinite(value) ? undefined : field;
  if (typeof value !== "object" || value === null) return undefined;
  const entries = Array.isArray(value)
    ? value.map((v, i) => [`${field}[${i}]`, v] as const)
    : Object.entries(value).map(([key, v]) => [field ? `${field}.${key}` : key, v] as const);
  for (const [at, v] of entries) {
    const found = nonFiniteField(v, at);
    if (found !== undefined) return found;
  }
  return undefined;
}
