import { describe, expect, it } from "vitest";
import { hostMetadata } from "../testing/host-metadata.ts";
import { annHostMetadata } from "./host-metadata.ts";

const meta = hostMetadata(8);

describe("annHostMetadata", () => {
  it("requires the dims an embedding is checked against", () => {
    expect(annHostMetadata("http://h/v1/metadata", meta)).toBe(meta);
    for (const dims of [undefined, 0, 1.5, "8"]) {
      expect(() => annHostMetadata("http://h/v1/metadata", { ...meta, dims })).toThrow(
        "http://h/v1/metadata: hostUrl is not an ANN host: its metadata has no dims",
      );
    }
  });
});
