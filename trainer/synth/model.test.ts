import { createHash } from "node:crypto";
import { describe, expect, it } from "vitest";
import { MAX_SYNTH_USERS, type SynthWorld, synthesize } from "./model.ts";

const opts = { users: 200, items: 500, events: 20_000, seed: 11, topics: 10 };

describe("synthesize", () => {
  it("is deterministic for a seed and time-ordered", () => {
    const small = { ...opts, events: 2000 };
    const a = [...synthesize(small)];
    expect([...synthesize(small)]).toEqual(a);
    expect([...synthesize({ ...small, seed: 12 })]).not.toEqual(a);
    for (let k = 1; k < a.length; k++) expect(a[k].timestamp).toBeGreaterThan(a[k - 1].timestamp);
  });

  it("keeps every seed's output from release to release, as docs/trainer.md promises", () => {
    const hash = createHash("sha256");
    for (const e of synthesize({ users: 200, items: 500, events: 20_000, seed: 11, topicSkew: 1 })) {
      hash.update(`${e.user},${e.item},${e.timestamp}\n`);
    }
    expect(hash.digest("hex")).toBe("feb9706b7f7e3b4390ff95cf3f972b860e98638e6a2567478bdd502dddc093a7");
  });

  it("refuses a world too large to hold in memory before generating any of it", () => {
    // It used to allocate about 1 KB per user until the kernel killed it (3e9 users on a 24 GB host).
    expect(() => synthesize({ ...opts, users: MAX_SYNTH_USERS + 1 }).next()).toThrow(
      "synth: users must be at most 10,000,000, got 10000001",
    );
    expect(() => synthesize({ ...opts, items: 3e9 }).next()).toThrow(/items must be at most 10,000,000/);
  });

  it("refuses more events than the trainer can index, before generating any", () => {
    // 1e20 was accepted and written until the disk filled; past 2^53 the loop could not end.
    expect(() => synthesize({ ...opts, events: 1e20 }).next()).toThrow(
      "synth: events must be at most 2,147,483,647, got 100000000000000000000",
    );
  });

  it("refuses a Zipf exponent whose item weights would underflow to 0", () => {
    expect(() => synthesize({ ...opts, zipf: 1000 }).next()).toThrow(
      "synth: zipf must be at most 10, got 1000",
    );
    expect(() => synthesize({ ...opts, zipf: 10 }).next()).not.toThrow();
  });

  it("refuses more topics than items rather than lowering them quietly", () => {
    expect(() => synthesize({ ...opts, items: 10, topics: 11 }).next()).toThrow(
      "synth: topics must be at most items (10), got 11",
    );
    expect(() => synthesize({ ...opts, items: 10, topics: 10 }).next()).not.toThrow();
  });

  it("has power-law popularity: the top 10% of items take most events", () => {
    const counts = new Array(opts.items).fill(0);
    for (const e of synthesize(opts)) counts[e.item]++;
    counts.sort((x, y) => y - x);
    const top = counts.slice(0, 50).reduce((s, c) => s + c, 0);
    expect(top / opts.events).toBeGreaterThan(0.5);
  });

  it("concentrates each user's events on a few topics", () => {
    let world: SynthWorld | undefined;
    const topicsByUser = new Map<number, Map<number, number>>();
    for (const e of synthesize(opts, (w) => {
      world = w;
    })) {
      const t = world?.itemTopic[e.item] ?? -1;
      const m = topicsByUser.get(e.user) ?? new Map<number, number>();
      m.set(t, (m.get(t) ?? 0) + 1);
      topicsByUser.set(e.user, m);
    }
    // Share of a user's events in their top 4 topics, averaged over users: far above 4/10 if tastes are real.
    let share = 0;
    for (const m of topicsByUser.values()) {
      const c = [...m.values()].sort((x, y) => y - x);
      share += c.slice(0, 4).reduce((s, x) => s + x, 0) / c.reduce((s, x) => s + x, 0);
    }
    expect(share / topicsByUser.size).toBeGreaterThan(0.85);
  });

  it("with topic skew, mainstream topics draw most events and niche topics' items are globally rare", () => {
    const eventsPerTopic = (topicSkew: number) => {
      let world: SynthWorld | undefined;
      const counts = new Array(opts.topics).fill(0);
      for (const e of synthesize({ ...opts, topicSkew }, (w) => {
        world = w;
      })) {
        counts[world?.itemTopic[e.item] ?? 0]++;
      }
      return { counts, world };
    };
    const flat = eventsPerTopic(0);
    expect(Array.from(flat.world?.topicWeight ?? [])).toEqual(new Array(opts.topics).fill(1));
    expect(Math.max(...flat.counts) / Math.min(...flat.counts)).toBeLessThan(3);
    const skewed = eventsPerTopic(1.5);
    // Topic 0 has the widest reach, the last topic the narrowest.
    expect(skewed.counts[0] / skewed.counts[opts.topics - 1]).toBeGreaterThan(8);
  });

  it("rejects non-positive sizes", () => {
    expect(() => [...synthesize({ ...opts, users: 0 })]).toThrow(/users must be a positive integer/);
  });
});
