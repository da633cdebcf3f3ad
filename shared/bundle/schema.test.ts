import { describe, expect, it } from "vitest";
import { manifestProblems, manifestSchema } from "./schema.ts";

const pathPattern = new RegExp(manifestSchema.properties.index.properties.file.pattern);

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

  it("names every problem with its location", () => {
    const problems = manifestProblems({ formatVersion: 1, dims: 0 });
    expect(problems).toContain("/dims must be >= 1");
    expect(problems.some((p) => p.includes("must have required property 'files'"))).toBe(true);
  });
});
