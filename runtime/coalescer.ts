// Merges concurrent requests into one batched call. usearch's search is synchronous: one query per
// call costs ~100 us of fixed overhead and blocks the event loop, while one call over a batch runs
// multi-threaded. Requests that arrive in the same event-loop turn (or within `windowMs`, or while
// `maxInFlight` batches are still running) are run together and their results split back.

export interface CoalescerOptions<I, O> {
  /** Runs one batch; must return exactly one output per input, in order. */
  run(inputs: I[]): O[] | Promise<O[]>;
  /** Largest batch run at once; the rest waits for the next turn. */
  maxBatch: number;
  /** 0 = flush on the next turn of the event loop (setImmediate); > 0 = wait that long to gather more. */
  windowMs: number;
  /** Observes each batch size (metrics). */
  onBatch?: (size: number) => void;
  /**
   * Batches allowed to run at once; default 1. A run that blocks the event loop gains nothing from
   * more. One that hands the batch to another thread (the search worker) does: with 2, the next
   * batch is queued there while the current one runs, so that thread never waits for this one.
   */
  maxInFlight?: number;
}

interface Pending<I, O> {
  input: I;
  resolve(out: O): void;
  reject(err: unknown): void;
}

export class Coalescer<I, O> {
  private readonly opts: CoalescerOptions<I, O>;
  private queue: Pending<I, O>[] = [];
  private scheduled = false;
  private inFlight = 0;

  constructor(opts: CoalescerOptions<I, O>) {
    this.opts = opts;
  }

  submit(input: I): Promise<O> {
    return new Promise<O>((resolve, reject) => {
      this.queue.push({ input, resolve, reject });
      this.schedule();
    });
  }

  private schedule(): void {
    if (this.scheduled || this.inFlight >= (this.opts.maxInFlight ?? 1) || this.queue.length === 0) return;
    this.scheduled = true;
    const flush = () => {
      this.scheduled = false;
      void this.flush();
    };
    if (this.opts.windowMs > 0) setTimeout(flush, this.opts.windowMs);
    else setImmediate(flush);
  }

  private async flush(): Promise<void> {
    const batch = this.queue.splice(0, this.opts.maxBatch);
    if (batch.length === 0) return;
    this.inFlight++;
    this.opts.onBatch?.(batch.length);
    try {
      const outputs = await this.opts.run(batch.map((p) => p.input));
      if (outputs.length !== batch.length) {
        throw new Error(`batch returned ${outputs.length} results for ${batch.length} inputs`);
      }
      for (const [i, p] of batch.entries()) p.resolve(outputs[i] as O);
    } catch (err) {
      for (const p of batch) p.reject(err);
    } finally {
      this.inFlight--;
      this.schedule();
    }
  }
}
