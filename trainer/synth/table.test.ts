import { describe, expect, it } from "vitest";
import { synthesize } from "./model.ts";
import { synthTable } from "./table.ts";

describe("synthTable", () => {
  it("holds the generator's events under the ids data synth writes", () => {
    const opts = { users: 20, items: 30, events: 400, seed: 5 };
    let topics = 0;
    const t = synthTable(opts, (w) => {
      topics = w.itemTopic.length;
    });
    expect(t.length).toBe(400);
    expect(topics).toBe(30);
    const first = synthesize(opts).next().value;
    expect(t.users.ids[t.user[0] as number]).toBe(`u${first?.user}`);
    expect(t.items.ids[t.item[0] as number]).toBe(`i${first?.item}`);
  });
});
