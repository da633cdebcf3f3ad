// Messages from the primary to a serving worker that may have died since it asked. Worker.send to
// a closed channel emits 'error' on the Worker, and with no listener that error ends the primary,
// and with it every worker still serving: one worker's death, which the primary exists to ride
// out, became the whole pod's.
import type { Worker } from "node:cluster";

/** Sends `message` if `worker` can still hear it; a message to a worker that is gone is dropped. */
export function tell(worker: Pick<Worker, "isConnected" | "send">, message: object): void {
  if (!worker.isConnected()) return;
  // The channel can close between the check and the write; the callback takes that error.
  worker.send(message, () => {});
}

/** Keeps an IPC error on a worker (a send racing its exit) from ending the primary. */
export function survivesIpcErrors(worker: Worker): void {
  worker.on("error", () => {});
}
