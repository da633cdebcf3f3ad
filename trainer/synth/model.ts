// The generative story behind synthetic engagement logs: known structure (topics, popularity, tastes,
// drift) so retrieval quality and the popularity-bias correction can be judged against ground truth.
import { createRng, shuffle } from "../random.ts";
import { Cdf } from "./cdf.ts";

export interface SynthOptions {
  users: number;
  items: number;
  events: number;
  seed: number;
  /** Latent topics; items belong to one, users mix a few. */
  topics?: number;
  /** Zipf exponent of item popularity (1 is web-like), at most MAX_SYNTH_ZIPF. */
  zipf?: number;
  /**
   * Zipf exponent of topic reach: how unevenly tastes spread over topics. At 0 every topic draws as
   * many users, so an item's popularity says nothing about who likes it and tail items are nobody's
   * best match. Above 0 a few mainstream topics draw most tastes and niche topics few, so a niche
   * topic's items are globally rare yet the likeliest items for the users who hold that taste, as in
   * real catalogues.
   */
  topicSkew?: number;
  /**
   * Share of the weight of a user's first topic (not of the whole taste) that has moved to one more
   * topic by the end of the log, in [0, 1].
   */
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

/**
 * The world is held in memory, about 100 bytes per user and 60 per item (events are streamed), so
 * these bounds keep it near 1.6 GB: a larger request is refused up front rather than killed by the
 * kernel partway.
 */
export const MAX_SYNTH_USERS = 10_000_000;
export const MAX_SYNTH_ITEMS = 10_000_000;

/**
 * Events are streamed, so memory does not bound them; the trainer does: it indexes a log's rows in
 * Int32Arrays (Timelines, the epoch order), so a larger log could be written, at ~25 bytes a line
 * past 50 GB, but never trained on. (Timestamps, 10 s apart, stay exact far beyond: 2^53.)
 */
export const MAX_SYNTH_EVENTS = 2 ** 31 - 1;

/**
 * Past 10 a larger exponent adds nothing (the second item already draws a thousandth of the first's
 * events) but underflow: past ~200 every item of some topics has a 1/rank^zipf of 0. At 10,000,000
 * items, 10 still leaves the last weight at 1e-70, far above the 1e-308 floor.
 */
export const MAX_SYNTH_ZIPF = 10;

// A user mixes 1-3 topics plus the one drift moves weight to.
const TASTE_SLOTS = 4;

/**
 * Refuses sizes the generator cannot honour, before any file is opened: a writer that truncated an
 * existing log first (`--force`) would lose it to a refusal.
 */
export function checkSynthOptions(opts: SynthOptions): void {
  const { users, items, events } = opts;
  for (const [name, v] of Object.entries({ users, items, events })) {
    if (!Number.isInteger(v) || v < 1) throw new Error(`synth: ${name} must be a positive integer, got ${v}`);
  }
  for (const [name, v, max] of [
    ["users", users, MAX_SYNTH_USERS],
    ["items", items, MAX_SYNTH_ITEMS],
    ["events", events, MAX_SYNTH_EVENTS],
  ] as const) {
    if (v > max) throw new Error(`synth: ${name} must be at most ${max.toLocaleString("en")}, got ${v}`);
  }
  if (opts.zipf !== undefined && !(opts.zipf <= MAX_SYNTH_ZIPF))
    throw new Error(`synth: zipf must be at most ${MAX_SYNTH_ZIPF}, got ${opts.zipf}`);
  // Each topic needs an item of its own; an explicit count beyond them is a mistake to name, not to
  // lower quietly (the default is lowered for catalogues of under 4 items).
  if (opts.topics !== undefined && opts.topics > items)
    throw new Error(`synth: topics must be at most items (${items}), got ${opts.topics}`);
}

/** Generates the world, then yields events in time order. Deterministic for `opts.seed`. */
export function* synthesize(opts: SynthOptions, world?: (w: SynthWorld) => void): Generator<SynthEvent> {
  checkSynthOptions(opts);
  const { users, items, events } = opts;
  const topics = Math.max(1, opts.topics ?? Math.min(Math.max(4, Math.round(Math.sqrt(items) / 4)), items));
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
  // Each user's taste in TASTE_SLOTS slots of flat arrays: objects of three typed arrays cost about
  // 1 KB per user, ten times these.
  const tasteSlots = new Uint8Array(users);
  const tasteTopic = new Int32Array(users * TASTE_SLOTS);
  const tasteStart = new Float64Array(users * TASTE_SLOTS);
  const tasteEnd = new Float64Array(users * TASTE_SLOTS);
  for (let u = 0; u < users; u++) {
    const k = 1 + rng.int(TASTE_SLOTS - 1);
    tasteSlots[u] = k + 1;
    const at = u * TASTE_SLOTS;
    const start = tasteStart.subarray(at, at + k + 1);
    const end = tasteEnd.subarray(at, at + k + 1);
    for (let j = 0; j <= k; j++) tasteTopic[at + j] = tasteCdf.sample(rng);
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
  }

  for (let e = 0; e < events; e++) {
    const frac = events === 1 ? 0 : e / (events - 1);
    const user = userCdf.sample(rng);
    let item: number;
    if (rng.next() < noise) item = globalCdf.sample(rng);
    else {
      const at = user * TASTE_SLOTS;
      let x = rng.next();
      let topic = tasteTopic[at];
      for (let j = at; j < at + tasteSlots[user]; j++) {
        const w = tasteStart[j] * (1 - frac) + tasteEnd[j] * frac;
        if (x < w) {
          topic = tasteTopic[j];
          break;
        }
        x -= w;
      }
      item = topicCdf[topic].sample(rng);
    }
    yield { user, item, timestamp: startTime + e * interval };
  }
}
