import { describe, expect, it } from "vitest";
import { DEFAULT_INDEX_PARAMS } from "../shared/bundle/index-config.ts";
import { writerDefaultIndex } from "./writer-index.ts";

describe("writerDefaultIndex", () => {
  it("builds an index with the writer's parameters and the given dims and expansion", () => {
    const index = writerDefaultIndex(8, "f32", 32);
    expect(index.dimensions()).toBe(8);
    expect(index.connectivity()).toBe(DEFAULT_INDEX_PARAMS.connectivity);
    expect(index.size()).toBe(0);
  });
});
