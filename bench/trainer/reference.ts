// Two rankings that know the synthetic generator's truth (each item's topic and Zipf weight), to read
// the model's figures against: `likelihood` ranks by P(i | u) as the generator defines it, with the
// user's topic mix taken from their training events, which is what a logQ-corrected softmax converges
// to and what maximises expected recall@K; `lift` ranks by P(i | u) / q_i with q_i the item's training
// frequency, which is what an uncorrected in-batch softmax converges to, its negatives arriving in proportion
// to q_i (the bias logQ correction removes).
import type { InteractionTable } from "../../trainer/data/table.ts";
import type { Retriever } from "../../trainer/eval/retrievers.ts";
import { topK } from "../../trainer/eval/topk.ts";
import type { SynthWorld } from "../../trainer/synth/model.ts";

export function referenceRetrievers(
  train: InteractionTable,
  world: SynthWorld,
  users: Int32Array,
): { likelihood: Retriever; lift: Retriever } {
  const itemCount = train.items.size;
  // Synthetic item ids are `i<n>`; n indexes the world's arrays.
  const raw = Int32Array.from(train.items.ids, (id) => Number(id.slice(1)));
  const topicOf = Int32Array.from(raw, (n) => world.itemTopic[n] as number);
  const weight = Float64Array.from(raw, (n) => world.itemWeight[n] as number);
  const { topics, popularityNoise: noise } = world;
  const topicMass = new Float64Array(topics);
  // The generator's popularity draws weigh an item's appeal by its topic's reach.
  const reach = Float64Array.from(topicOf, (t) => world.topicWeight[t] as number);
  let mass = 0;
  world.itemTopic.forEach((t, n) => {
    topicMass[t] = (topicMass[t] as number) + (world.itemWeight[n] as number);
    mass += (world.itemWeight[n] as number) * (world.topicWeight[t] as number);
  });
  const logCount = Float64Array.from(train.itemCounts(), (c) => Math.log(Math.max(c, 0.5)));
  const byUser = train.rowsByUser();
  const rank =
    (lift: boolean): Retriever =>
    async (_queries, n, k, { exclude } = {}) => {
      const out = new Int32Array(n * k);
      const scores = new Float32Array(itemCount);
      const mix = new Float64Array(topics);
      for (let r = 0; r < n; r++) {
        mix.fill(0);
        const rows = byUser.get(users[r] as number) ?? [];
        for (const row of rows) {
          const t = topicOf[train.item[row] as number] as number;
          mix[t] = (mix[t] as number) + 1 / rows.length;
        }
        for (let i = 0; i < itemCount; i++) {
          const t = topicOf[i] as number;
          const w = weight[i] as number;
          const p =
            (1 - noise) * (mix[t] as number) * (w / (topicMass[t] as number)) +
            (noise * w * (reach[i] as number)) / mass;
          scores[i] = lift ? Math.log(p) - (logCount[i] as number) : p;
        }
        topK(scores, k, exclude?.[r], out.subarray(r * k, (r + 1) * k));
      }
      return out;
    };
  return { likelihood: rank(false), lift: rank(true) };
}
