/**
 * Waits for a promise other calls share (the cached host metadata) under one call's signal:
 * aborting ends this call's wait with the signal's reason, and leaves the shared work running for
 * the calls still waiting on it.
 */
export function untilAborted<T>(shared: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  if (signal === undefined) return shared;
  if (signal.aborted) {
    // The read may have been started for this call alone; failing with no call awaiting it would
    // be an unhandled rejection, which ends the caller's process.
    shared.catch(() => {});
    return Promise.reject(signal.reason);
  }
  return new Promise<T>((resolve, reject) => {
    const abort = () => reject(signal.reason);
    signal.addEventListener("abort", abort, { once: true });
    shared.then(resolve, reject).finally(() => signal.removeEventListener("abort", abort));
  });
}
