import { existsSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { withBodyFiles } from "./body-files.ts";

describe("withBodyFiles", () => {
  it("writes each list as a JSON file and removes them after the run", async () => {
    let seen: Record<"search" | "retrieve", string> | undefined;
    const got = await withBodyFiles({ search: [{ k: 1 }], retrieve: [] }, async (files) => {
      seen = files;
      // wrk's runner writes its own file beside the bodies; it goes too.
      writeFileSync(`${files.search}.lines`, "");
      return JSON.parse(readFileSync(files.search, "utf8"));
    });
    expect(got).toEqual([{ k: 1 }]);
    expect(seen && existsSync(path.dirname(seen.search))).toBe(false);
  });

  it("removes them when the run fails", async () => {
    let dir = "";
    await expect(
      withBodyFiles({ search: [] }, async (files) => {
        dir = path.dirname(files.search);
        throw new Error("host did not start");
      }),
    ).rejects.toThrow("host did not start");
    expect(dir).not.toBe("");
    expect(existsSync(dir)).toBe(false);
  });
});
