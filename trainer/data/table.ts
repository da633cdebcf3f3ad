// Columnar, interned engagement log. Ids become dense integer indices once, so an epoch over millions
// of events touches typed arrays only and memory stays a few bytes per event rather than per string.
import { ownCopy } from "./own-string.ts";

export class Vocab {
  readonly ids: string[] = [];
  readonly #index = new Map<string, number>();

  get size(): number {
    return this.ids.length;
  }

  intern(id: string): number {
    let ix = this.#index.get(id);
    if (ix === undefined) {
      ix = this.ids.length;
      // A 255 MB log of UUID ids held 227 MB of heap with its ids kept as slices of their lines,
      // against 49 MB with copies, which cost only first sightings.
      const own = ownCopy(id);
      this.ids.push(own);
      this.#index.set(own, ix);
    }
    return ix;
  }

  get(id: string): number | undefined {
    return this.#index.get(id);
  }
}

export interface Interaction {
  user: string;
  item: string;
  /** Seconds or any monotone unit; only the order matters. */
  timestamp: number;
  weight: number;
}

/** One engagement log (or a row selection of one), sharing user and item vocabularies with its splits. */
export class InteractionTable {
  readonly users: Vocab;
  readonly items: Vocab;
  user: Int32Array;
  item: Int32Array;
  timestamp: Float64Array;
  weight: Float32Array;
  length = 0;

  constructor(users = new Vocab(), items = new Vocab(), capacity = 1024) {
    this.users = users;
    this.items = items;
    this.user = new Int32Array(capacity);
    this.item = new Int32Array(capacity);
    this.timestamp = new Float64Array(capacity);
    this.weight = new Float32Array(capacity);
  }

  push(e: Interaction): void {
    this.pushIndexed(this.users.intern(e.user), this.items.intern(e.item), e.timestamp, e.weight);
  }

  pushIndexed(user: number, item: number, timestamp: number, weight: number): void {
    if (this.length === this.user.length) this.#grow(this.length * 2);
    const n = this.length++;
    this.user[n] = user;
    this.item[n] = item;
    this.timestamp[n] = timestamp;
    this.weight[n] = weight;
  }

  /** A new table over the given rows, sharing vocabularies. */
  select(rows: ArrayLike<number>): InteractionTable {
    const out = new InteractionTable(this.users, this.items, Math.max(1, rows.length));
    for (let k = 0; k < rows.length; k++) {
      const r = rows[k];
      out.pushIndexed(this.user[r], this.item[r], this.timestamp[r], this.weight[r]);
    }
    return out;
  }

  /** Whether any row carries a weight other than 1 (so the loss can skip weighting). */
  hasWeights(): boolean {
    for (let r = 0; r < this.length; r++) if (this.weight[r] !== 1) return true;
    return false;
  }

  /** Event count per item index, over this table's rows. */
  itemCounts(): Float64Array {
    const counts = new Float64Array(this.items.size);
    for (let r = 0; r < this.length; r++) counts[this.item[r]] += 1;
    return counts;
  }

  /** Row indices per user, in timestamp order (ties keep file order). */
  rowsByUser(): Map<number, number[]> {
    const byUser = new Map<number, number[]>();
    for (let r = 0; r < this.length; r++) {
      const u = this.user[r];
      let rows = byUser.get(u);
      if (!rows) {
        rows = [];
        byUser.set(u, rows);
      }
      rows.push(r);
    }
    for (const rows of byUser.values()) rows.sort((a, b) => this.timestamp[a] - this.timestamp[b] || a - b);
    return byUser;
  }

  #grow(capacity: number): void {
    const grow = <T extends Int32Array | Float64Array | Float32Array>(a: T, make: (n: number) => T): T => {
      const b = make(capacity);
      b.set(a);
      return b;
    };
    this.user = grow(this.user, (n) => new Int32Array(n));
    this.item = grow(this.item, (n) => new Int32Array(n));
    this.timestamp = grow(this.timestamp, (n) => new Float64Array(n));
    this.weight = grow(this.weight, (n) => new Float32Array(n));
  }
}
