import type { Worker } from "node:cluster";
import { EventEmitter } from "node:events";
import { describe, expect, it, vi } from "vitest";
import { survivesIpcErrors, tell } from "./worker-ipc.ts";

describe("tell", () => {
  it("drops a message to a worker that is gone, and takes a send that fails as it races the exit", () => {
    const send = vi.fn();
    tell({ isConnected: () => false, send }, { towerops: "metrics" });
    expect(send).not.toHaveBeenCalled();
    const racing = vi.fn((_m: unknown, done: (err: Error | null) => void) => {
      done(Object.assign(new Error("Channel closed"), { code: "ERR_IPC_CHANNEL_CLOSED" }));
      return false;
    });
    expect(() =>
      tell({ isConnected: () => true, send: racing as unknown as Worker["send"] }, {}),
    ).not.toThrow();
    expect(racing).toHaveBeenCalledWith({}, expect.any(Function));
  });
});

describe("survivesIpcErrors", () => {
  it("keeps an IPC error on a worker from being an uncaught one", () => {
    const worker = new EventEmitter() as unknown as Worker;
    expect(() => worker.emit("error", new Error("Channel closed"))).toThrow();
    survivesIpcErrors(worker);
    expect(() => worker.emit("error", new Error("Channel closed"))).not.toThrow();
  });
});
