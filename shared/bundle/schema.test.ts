import { describe, expect, it } from "vitest";
import { manifestProblems, manifestSchema } from "./schema.ts";

const { pattern } = manifestSchema.properties.index.properties.file;
// Compiled as ajv compiles it.
const pathPattern = new RegExp(pattern, "u");

describe("manifest schema", () => {
  it.each(["index.usearch", "viewer/model.json", "a/b/c.bin", ".hidden", "a..b"])(
    "accepts the path %s",
    (p) => {
      expect(pathPattern.test(p)).toBe(true);
    },
  );

  it.each(["/etc/passwd", "../x", "a/../b", "./a", "a//b", "a/.", "a\\b", ".."])(
    "rejects the path %s",
    (p) => {
      expect(pathPattern.test(p)).toBe(false);
    },
  );

  // "." in a lookahead stops at a line break, so these hid their ".." segments from the pattern, and
  // a download wrote x\n/../../../etc/target outside the cache.
  it.each([
    "x\n/../../../etc/target",
    "x\r/../../etc/target",
    "x\u2028/../../etc/target",
    "x\u2029/../../etc/target",
    "a/\n/../b",
    "..\n",
    "a\nb",
    "a\tb",
    "a\u007fb",
    "a\u0085b",
    "x\n\\..\\..\\b",
  ])("rejects the path %j, with a line break or control character", (p) => {
    expect(pathPattern.test(p)).toBe(false);
    expect(manifestProblems({ items: { count: 1, keysFile: p } })).toContain(
      `/items/keysFile must match pattern "${pattern}"`,
    );
  });

  it.each([
    "2026-11-29T11:23:05.123Z",
    "2024-02-29T00:00:00Z",
    "2000-02-29T23:59:59+05:30",
    "0000-01-01T00:00:00Z",
    "9999-12-31T23:59:59.999999-23:59",
  ])("accepts the createdAt %s", (createdAt) => {
    expect(manifestProblems({ createdAt }).filter((p) => p.startsWith("/createdAt"))).toEqual([]);
  });

  // Digits in the right places passed, and Date.parse alone takes 2026-02-30 and 24:00.
  it.each([
    "2026-13-45T99:99:99Z",
    "2026-00-10T00:00:00Z",
    "2026-01-00T00:00:00Z",
    "2026-02-29T00:00:00Z",
    "2100-02-29T00:00:00Z",
    "2026-04-31T00:00:00Z",
    "2026-01-01T24:00:00Z",
    "2026-01-01T00:60:00Z",
    "2026-06-30T23:59:60Z",
    "2026-01-01T00:00:00+24:00",
    "2026-01-01T00:00:00-00:60",
    "2026-01-01 00:00:00Z",
  ])("refuses the createdAt %s", (createdAt) => {
    expect(manifestProblems({ createdAt })).toContain('/createdAt must match format "date-time"');
  });

  it("names every problem with its location", () => {
    const problems = manifestProblems({ formatVersion: 1, dims: 0 });
    expect(problems).toContain("/dims must be >= 1");
    expect(problems.some((p) => p.includes("must have required property 'files'"))).toBe(true);
  });

  it("bounds the HNSW parameters, which size the memory a search allocates", () => {
    const index = { file: "index.usearch", quantization: "f32", connectivity: 5000, expansionAdd: 64 };
    const problems = manifestProblems({ index: { ...index, expansionSearch: 2 ** 32 } });
    expect(problems).toContain("/index/connectivity must be <= 1024");
    expect(problems).toContain("/index/expansionSearch must be <= 65536");
    // usearch refuses it as the index opens, with a plain TypeError the gate could not judge by.
    expect(manifestProblems({ index: { ...index, connectivity: 1 } })).toContain(
      "/index/connectivity must be >= 2",
    );
  });
});
