// The drain ends when the last answer does: a keep-alive socket that never heard `Connection: close`
// is closed once its answer is written, and a closed server leaves nothing scheduled behind it.
import { Agent, get, type Server } from "node:http";
import { describe, expect, it } from "vitest";
import { listen } from "./lifecycle.ts";
import { quietLog } from "./testing/quiet-log.ts";

describe("draining a host's listener", () => {
  it("closes a keep-alive socket whose answer was already being written when the drain began", async () => {
    const big = Buffer.alloc(16 * 1024 * 1024, 120);
    const server = await listen(
      (_req, res) => res.end(big), // headers sent at once; 'close' only once the body is flushed
      { ready: true, draining: false },
      { port: 0, drainTimeoutMs: 3000 },
      quietLog,
      () => {},
    );
    const agent = new Agent({ keepAlive: true });
    const answered = new Promise<string | undefined>((resolve, reject) => {
      get(`${server.url}/`, { agent }, (res) => {
        res.pause(); // a slower client: the body is still being written at SIGTERM
        setTimeout(() => {
          res.on("end", () => resolve(res.headers.connection));
          res.resume();
        }, 300);
      }).on("error", reject);
    });
    await new Promise((r) => setTimeout(r, 100));
    const t0 = Date.now();
    const closing = server.close();
    expect(await answered).toBe("keep-alive"); // too late for Connection: close
    await closing;
    agent.destroy();
    // It used to take the drain timeout: the socket, idle once its answer finished, stayed open.
    expect(Date.now() - t0).toBeLessThan(1500);
  });

  it("stops the http server's connection-checking interval", async () => {
    let created: Server | undefined;
    const http = await import("node:http");
    const listenOrig = http.Server.prototype.listen;
    http.Server.prototype.listen = function (this: Server, ...a: unknown[]) {
      created = this;
      return (listenOrig as (...x: unknown[]) => Server).apply(this, a);
    } as typeof listenOrig;
    try {
      const s = await listen(
        (_q, r) => r.end("ok"),
        { ready: true, draining: false },
        { port: 0 },
        quietLog,
        () => {},
      );
      await s.close();
    } finally {
      http.Server.prototype.listen = listenOrig;
    }
    const server = created as unknown as Record<symbol, { _destroyed?: boolean }>;
    const sym = Object.getOwnPropertySymbols(server).find((x) =>
      String(x).includes("connectionsCheckingInterval"),
    );
    expect(sym).toBeDefined();
    // It used to stay scheduled: net.Server's close skips http's pre-close, which clears it.
    expect(server[sym as symbol]?._destroyed).toBe(true);
  });
});
