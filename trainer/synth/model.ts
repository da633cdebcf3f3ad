// The generative story behind synthetic engagement logs: known structure (topics, popularity, tastes,
// drift) so retrieval quality and the popularity-bias correction can be judged against ground truth.
import { createRng, type Rng, shuffle } from "../random.ts";

export interface SynthOptions {
  users: number;
  items: number;
  events: number;
  seed: number;
  /** Latent topics; items belong to one, users mix a few. */
  topics?: number;
  /** Zipf exponent of item popularity (1 is web-like). */
  zipf?: number;
  /**
   * Zipf exponent of topic reach: how unevenly tastes spread over topics. At 0 every topic draws as
   * many users, so an item's popularity says nothing about who likes it and tail items are nobody's
   * best match. Above 0 a few mainstream topics draw most tastes and niche topics few, so a niche
   * topic's items are globally rare yet the likeliest items for the users who hold that taste, as in
   * real catalogues.
   */
  topicSkew?: number;
  /** Share of a user's taste that has moved to new topics by the end of the log, in [0, 1]. */
  drift?: number;
  /** Share of events drawn from global popularity regardless of taste (trending, home feed). */
  popularityNoise?: number;
  /** First event's timestamp, epoch seconds. */
  startTime?: number;
  /** Seconds between consecutive events. */
  interval?: number;
}

export interface SynthEvent {
  user: number;
  item: number;
  timestamp: number;
}

/** Cumulative weights with binary-search sampling: O(log n) per draw, memory n floats. */
class Cdf {
  readonly cum: Float64Array;
  readonly values: Int32Array;

  constructor(values: Int32Array, weight: (v: number) => number) {
    this.values = values;
    this.cum = new Float64Array(values.length);
    let acc = 0;
    for (let k = 0; k < values.length; k++) {
      acc += weight(values[k]);
      this.cum[k] = acc;
    }
  }

  sample(rng: Rng): number {
    const x = rng.next() * this.cum[this.cum.length - 1];
    let lo = 0;
    let hi = this.cum.length - 1;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.cum[mid] > x) hi = mid;
      else lo = mid + 1;
    }
    return this.values[lo];
  }
}

interface Taste {
  topics: Int32Array;
  start: Float64Array;
  end: Float64Array;
}

export interface SynthWorld {
  topics: number;
  itemTopic: Int32Array;
  /** Unnormalised Zipf weight per item: its appeal within its topic. */
  itemWeight: Float64Array;
  /** Unnormalised reach per topic: the chance a taste lands on it (all 1 without topic skew). */
  topicWeight: Float64Array;
  /** Share of events drawn from global popularity instead of the user's topics. */
  popularityNoise: number;
}

/** Generates the world, then yields events in time order. Deterministic for `opts.seed`. */
export function* synthesize(opts: SynthOptions, world?: (w: SynthWorld) => void): Generator<SynthEvent> {
  const { users, items, events } = opts;
  for (const [name, v] of Object.entries({ users, items, events })) {
    if (!Number.isInteger(v) || v < 1) throw new Error(`synth: ${name} must be a positive integer, got ${v}`);
  }
  const topics = Math.max(1, Math.min(opts.topics ?? Math.max(4, Math.round(Math.sqrt(items) / 4)), items));
  const zipf = opts.zipf ?? 1.0;
  const topicSkew = opts.topicSkew ?? 0;
  const drift = opts.drift ?? 0.3;
  const noise = opts.popularityNoise ?? 0.1;
  const startTime = opts.startTime ?? 1_700_000_000;
  const interval = opts.interval ?? 10;
  const rng = createRng(opts.seed);

  // Popularity rank is independent of item id, so id order leaks nothing.
  const rank = shuffle(
    Int32Array.from({ length: items }, (_, i) => i),
    rng,
  );
  const itemWeight = new Float64Array(items);
  for (let i = 0; i < items; i++) itemWeight[rank[i]] = 1 / (i + 1) ** zipf;
  const itemTopic = new Int32Array(items);
  const byTopic: number[][] = Array.from({ length: topics }, () => []);
  for (let i = 0; i < items; i++) {
    // The first ranks seed one topic each, so none is empty; the rest land uniformly at random, so
    // every topic's popularity profile is alike in expectation (its appeal mass still varies).
    const t = i < topics ? i : rng.int(topics);
    itemTopic[rank[i]] = t;
    byTopic[t].push(rank[i]);
  }
  const topicWeight = Float64Array.from({ length: topics }, (_, t) => 1 / (t + 1) ** topicSkew);
  world?.({ topics, itemTopic, itemWeight, topicWeight, popularityNoise: noise });
  const topicCdf = byTopic.map((list) => new Cdf(Int32Array.from(list), (i) => itemWeight[i]));
  const tasteCdf = new Cdf(
    Int32Array.from({ length: topics }, (_, t) => t),
    (t) => topicWeight[t],
  );
  // Global popularity is appeal times reach, not normalised per topic: a topic's appeal mass varies
  // (0.5-1.4x the mean at 2,000 items), so it only approximates the taste-driven marginal.
  const globalCdf = new Cdf(
    Int32Array.from({ length: items }, (_, i) => i),
    (i) => itemWeight[i] * topicWeight[itemTopic[i]],
  );
  // Mildly skewed user activity: some users are far more active, none is silent by construction.
  const userCdf = new Cdf(
    Int32Array.from({ length: users }, (_, u) => u),
    (u) => 1 / (1 + (u % 97)) ** 0.5,
  );
  const tastes: Taste[] = [];
  for (let u = 0; u < users; u++) {
    const k = 1 + rng.int(3);
    const ts = new Int32Array(k + 1);
    for (let j = 0; j <= k; j++) ts[j] = tasteCdf.sample(rng);
    const start = new Float64Array(k + 1);
    const end = new Float64Array(k + 1);
    let sum = 0;
    for (let j = 0; j < k; j++) {
      start[j] = -Math.log(1 - rng.next());
      sum += start[j];
    }
    for (let j = 0; j < k; j++) start[j] /= sum;
    // Drift moves part of the first topic's weight to topic k. Topics are drawn by reach with
    // replacement, so a user may hold one twice, and topic k may be one the user already has (for
    // about one user in ten, the first itself: no drift). Changing this would change every
    // seed's output, which docs/trainer.md promises to keep.
    for (let j = 0; j <= k; j++) end[j] = start[j];
    end[0] -= start[0] * drift;
    end[k] += start[0] * drift;
    tastes.push({ topics: ts, start, end });
  }

  for (let e = 0; e < events; e++) {
    const frac = events === 1 ? 0 : e / (events - 1);
    const user = userCdf.sample(rng);
    let item: number;
    if (rng.next() < noise) item = globalCdf.sample(rng);
    else {
      const taste = tastes[user];
      let x = rng.next();
      let topic = taste.topics[0];
      for (let j = 0; j < taste.topics.length; j++) {
        const w = taste.start[j] * (1 - frac) + taste.end[j] * frac;
        if (x < w) {
          topic = taste.topics[j];
          break;
        }
        x -= w;
      }
      item = topicCdf[topic].sample(rng);
    }
    yield { user, item, timestamp: startTime + e * interval };
  }
}
