// A synthetic log straight into memory, with the ids `data synth` writes, for benchmarks and tests
// that need a known structure without a file round trip.
import { InteractionTable } from "../data/table.ts";
import { type SynthOptions, type SynthWorld, synthesize } from "./model.ts";
import { itemId, userId } from "./write.ts";

export function synthTable(opts: SynthOptions, onWorld?: (w: SynthWorld) => void): InteractionTable {
  const t = new InteractionTable();
  for (const e of synthesize(opts, onWorld)) {
    t.push({ user: userId(e.user), item: itemId(e.item), timestamp: e.timestamp, weight: 1 });
  }
  return t;
}
