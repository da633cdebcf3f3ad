import { access, mkdtemp, readdir } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import pino from "pino";
import { describe, expect, it } from "vitest";
import { writeTestBundle } from "../../shared/bundle/testing.ts";
import { DEMO_KEEP_BUNDLES, runDemo } from "./demo.ts";
import { markDemoDir } from "./demo-dir.ts";
import { leaseOut } from "./out-lease.ts";

const tiny = { users: 60, items: 120, events: 1500, epochs: 1, seed: 3, backend: "wasm" as const };

describe("towerops demo", () => {
  it("tells the whole story: data, training, bundle, serving, retrievals, recall, report", async () => {
    const out = await mkdtemp(path.join(tmpdir(), "towerops-demo-"));
    // Earlier runs' bundles: each run adds one, and only the newest DEMO_KEEP_BUNDLES stay.
    const bundles = path.join(out, "run", "bundles");
    for (const version of ["old-1", "old-2", "old-3"]) await writeTestBundle(bundles, { version });
    await markDemoDir(out);
    const lines: string[] = [];
    const result = await runDemo({ ...tiny, out, print: (l) => lines.push(l) });
    expect(await readdir(bundles)).toHaveLength(DEMO_KEEP_BUNDLES);
    expect(result.recall).toBeGreaterThan(0);
    expect(result.popularity).toBeGreaterThan(0);
    for (const step of ["1. ", "2. ", "3. ", "4. ", "5. ", "6. ", "done in "])
      expect(lines.some((l) => l.startsWith(step))).toBe(true);
    // Every retrieval names the version that served it.
    expect(lines.filter((l) => /-> i\d+ .*\[version demo-\d{8}/.test(l))).toHaveLength(3);
    expect(lines.join("\n")).toContain("without logQ correction: recall@100");
  });

  it("leaves a --out another demo holds as it is", async () => {
    const out = await mkdtemp(path.join(tmpdir(), "towerops-demo-"));
    const held = await leaseOut(out, { command: "demo", waitSeconds: 0, log: pino({ level: "silent" }) });
    try {
      await expect(runDemo({ ...tiny, out, print: () => {} })).rejects.toThrow(
        new RegExp(
          `--out ${out} is in use by another towerops demo \\(pid ${process.pid} on .+\\); wait for it to end, or use another --out`,
        ),
      );
      await expect(access(path.join(out, "data"))).rejects.toThrow(/ENOENT/);
    } finally {
      await held.release();
    }
  });
});
