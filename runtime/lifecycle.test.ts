// The drain ends when the last answer does: a keep-alive socket that never heard `Connection: close`
// is closed shortly after its answer is written, as is a connection that never sent a byte; a
// request either's client sends right then is still answered, and a closed server leaves nothing
// scheduled behind it.
import { Agent, get, type Server } from "node:http";
import { connect, type Socket } from "node:net";
import { describe, expect, it } from "vitest";
import { listen } from "./lifecycle.ts";
import { quietLog } from "./testing/quiet-log.ts";

describe("draining a host's listener", () => {
  it("closes a keep-alive socket whose answer was already being written when the drain began", async () => {
    const big = Buffer.alloc(16 * 1024 * 1024, 120);
    const server = await listen(
      (_req, res) => res.end(big), // headers sent at once; 'close' only once the body is flushed
      { ready: true, draining: false },
      { port: 0, drainTimeoutMs: 5000 },
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
    expect(Date.now() - t0).toBeLessThan(2500);
  });

  it("answers the next request a keep-alive client sends as soon as that answer ends", async () => {
    const server = await listen(
      (_req, res) => {
        res.writeHead(200, { "content-type": "text/plain" });
        res.write("a"); // headers out before the drain: this answer says keep-alive
        setTimeout(() => res.end("b"), 300);
      },
      { ready: true, draining: false },
      { port: 0, drainTimeoutMs: 5000 },
      quietLog,
      () => {},
    );
    const socket = connect(server.port, "127.0.0.1");
    let received = "";
    const ended = new Promise<void>((resolve) => socket.on("close", () => resolve()));
    socket.on("error", () => {});
    socket.on("data", (d) => {
      const first = !received.includes("0\r\n\r\n");
      received += d.toString();
      if (first && received.includes("0\r\n\r\n")) socket.write("GET /second HTTP/1.1\r\nHost: x\r\n\r\n");
    });
    socket.write("GET /first HTTP/1.1\r\nHost: x\r\n\r\n");
    await new Promise((r) => setTimeout(r, 100));
    const t0 = Date.now();
    const closing = server.close();
    await ended;
    await closing;
    const answers = received.split("HTTP/1.1 200").length - 1;
    // It used to be 1: the socket was closed as the first answer ended, under the second request.
    expect(answers).toBe(2);
    expect(received.split("HTTP/1.1 200")[2]).toMatch(/connection: close/i);
    expect(Date.now() - t0).toBeLessThan(2500);
  });

  it("ends with the last answer when a connection was accepted but never asked anything", async () => {
    const server = await slowDrainServer();
    const idle = await accepted(server.port);
    const idleClosed = new Promise<void>((resolve) => idle.once("close", () => resolve()));
    const closing = server.close();
    const cut = new Promise<string>((r) => setTimeout(() => r("drain timeout"), 15_000).unref());
    // It used to wait for the drain timeout: the socket was not tracked, so nothing closed it.
    expect(await Promise.race([closing.then(() => "drained"), cut])).toBe("drained");
    await idleClosed;
  });

  it("answers the first request of a connection accepted before the drain", async () => {
    const c = await acceptedBeforeDrain();
    const closing = c.server.close();
    c.socket.write("GET / HTTP/1.1\r\nHost: x\r\n\r\n");
    await c.answeredAndClosed(closing);
  });

  it("answers a first request whose headers were still arriving when the grace ended", async () => {
    const c = await acceptedBeforeDrain();
    await new Promise((resolve) => c.socket.write("GET / HTTP/1.1\r\nHost: x\r\n", resolve));
    // In the server's buffer now; it reads them in this poll phase, before the drain begins.
    await new Promise((resolve) => setImmediate(resolve));
    const closing = c.server.close();
    // Due after the grace's timer, so run after it: the connection was not silent, only slow.
    await new Promise((resolve) => setTimeout(resolve, 1000));
    c.socket.write("\r\n");
    await c.answeredAndClosed(closing);
  });

  it("answers a keep-alive connection's next request whose headers were arriving as the drain began", async () => {
    const c = await acceptedBeforeDrain();
    const first = c.answered();
    c.socket.write("GET / HTTP/1.1\r\nHost: x\r\n\r\n");
    await first;
    await new Promise((resolve) => c.socket.write("GET / HTTP/1.1\r\nHost: x\r\n", resolve));
    // Past a poll phase of the loop, where the server reads what arrived.
    await new Promise((resolve) => setTimeout(resolve, 100));
    const closing = c.server.close();
    await new Promise((resolve) => setTimeout(resolve, 1000));
    c.socket.write("\r\n");
    // It used to be reset as the drain began: between two requests, it counted as idle.
    await c.answeredAndClosed(closing, 2);
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

/** A server answering "ok" whose drain would wait 30 s for a connection it did not close. */
const slowDrainServer = () =>
  listen(
    (_req, res) => res.end("ok"),
    { ready: true, draining: false },
    { port: 0, drainTimeoutMs: 30_000 },
    quietLog,
    () => {},
  );

/**
 * A slow-draining server and a connection it accepted before draining;
 * `answeredAndClosed` expects its one answer, with `Connection: close`, and its drain to end.
 */
async function acceptedBeforeDrain() {
  const server = await slowDrainServer();
  const socket = await accepted(server.port);
  let received = "";
  socket.on("data", (d) => {
    received += d.toString();
  });
  const ended = new Promise<void>((resolve) => socket.on("close", () => resolve()));
  const answeredAndClosed = async (closing: Promise<void>, answers = 1) => {
    await ended;
    await closing;
    const parts = received.split("HTTP/1.1 200");
    expect(parts).toHaveLength(answers + 1);
    expect(parts[answers]).toMatch(/connection: close/i);
  };
  const answered = () => new Promise((resolve) => socket.once("data", resolve));
  return { server, socket, answered, answeredAndClosed };
}

/**
 * A connection the server has accepted, with nothing sent on it. A server accepts connections in
 * the order they arrive, so once a later one is answered the first has been accepted.
 */
async function accepted(port: number): Promise<Socket> {
  const socket = connect(port, "127.0.0.1");
  socket.on("error", () => {});
  await new Promise((resolve) => socket.once("connect", resolve));
  await new Promise<void>((resolve, reject) => {
    get({ port, host: "127.0.0.1", path: "/", agent: false }, (res) => {
      res.resume();
      res.on("end", resolve);
    }).on("error", reject);
  });
  return socket;
}
