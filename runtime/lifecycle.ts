// Listening and graceful shutdown shared by both roles: readiness drops first, in-flight requests
// finish, then the listener and the bundles are released.
import { createServer, type RequestListener, type Server, type ServerResponse } from "node:http";
import { type AddressInfo, Server as NetServer, type Socket } from "node:net";
import type { Logger } from "../shared/log.ts";
import type { Lifecycle } from "./http.ts";

// Long enough for a client's next request, sent as its answer arrives, to reach the host.
const SWEEP_GRACE_MS = 500;

export interface RunningServer {
  url: string;
  port: number;
  /** Stops readiness, drains in-flight requests, closes the listener, then runs `release`. */
  close(): Promise<void>;
}

/** Both roles' listening options; each defaults here, once. */
export interface ListenOptions {
  /** Default 8080. */
  port?: number;
  /** Default 127.0.0.1. */
  host?: string;
  /** Keeps serving after readiness turns false, so load balancers notice before the listener closes. */
  shutdownDelayMs?: number;
  /** In-flight requests still open after this long are cut. Default 10 s. */
  drainTimeoutMs?: number;
}

export async function listen(
  handler: RequestListener,
  lifecycle: Lifecycle,
  options: ListenOptions,
  log: Logger,
  release: () => void | Promise<void>,
): Promise<RunningServer> {
  const opts = {
    port: options.port ?? 8080,
    host: options.host ?? "127.0.0.1",
    shutdownDelayMs: options.shutdownDelayMs ?? 0,
    drainTimeoutMs: options.drainTimeoutMs ?? 10_000,
  };
  // Once draining, every answer says `Connection: close`, those in flight included: a keep-alive
  // client would otherwise send its next request on a socket the drain is about to close, and get
  // a reset instead of an answer; told, it opens a new connection, which reaches a serving pod.
  const inFlight = new Set<ServerResponse>();
  // Requests in progress on each socket that has carried one: those at 0 are keep-alive sockets
  // between two requests, the only ones a drain closes at once.
  const requests = new Map<Socket, number>();
  // What each socket had read when it last had no request in progress (0 when accepted). One that
  // has read more since has a request on its way, its headers in pieces: it is answered once the
  // rest comes, not closed as idle. An accepted socket that was never asked anything (a client's
  // pre-opened pool socket) was once untracked and held a drain until the cut.
  const readWhenIdle = new Map<Socket, number>();
  const silent = (socket: Socket) =>
    !requests.get(socket) && socket.bytesRead === (readWhenIdle.get(socket) ?? 0);
  // Set once the listener closes: from then on a keep-alive socket is closed shortly after its last
  // request ends, since one whose answer was already being written when the drain began never
  // heard `Connection: close` and would otherwise hold the drain until its timeout. Shortly, not at
  // once: its client may send the next request as soon as the answer ends, and one that arrives in
  // the grace is answered (with `Connection: close`) instead of meeting a closed socket.
  let sweeping = false;
  const closeAfterGrace = (socket: Socket, idle: () => boolean) =>
    setTimeout(() => {
      if (idle()) socket.destroy();
    }, SWEEP_GRACE_MS).unref();
  const server: Server = createServer((req, res) => {
    const socket = req.socket;
    requests.set(socket, (requests.get(socket) ?? 0) + 1);
    if (lifecycle.draining) res.setHeader("connection", "close");
    inFlight.add(res);
    res.once("close", () => {
      inFlight.delete(res);
      const n = requests.get(socket);
      if (n === undefined) return;
      requests.set(socket, n - 1);
      if (n !== 1) return;
      readWhenIdle.set(socket, socket.bytesRead);
      if (sweeping) closeAfterGrace(socket, () => silent(socket));
    });
    handler(req, res);
  });
  server.on("connection", (socket: Socket) => {
    readWhenIdle.set(socket, 0);
    socket.once("close", () => {
      requests.delete(socket);
      readWhenIdle.delete(socket);
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(opts.port, opts.host, () => {
      server.off("error", reject);
      resolve();
    });
  });
  server.keepAliveTimeout = 65_000;
  const { port } = server.address() as AddressInfo;
  const host = opts.host.includes(":") ? `[${opts.host}]` : opts.host;
  const url = `http://${host}:${port}`;
  let closing: Promise<void> | undefined;

  const close = () => {
    closing ??= (async () => {
      lifecycle.draining = true;
      for (const res of inFlight) if (!res.headersSent) res.setHeader("connection", "close");
      log.info({ url, shutdownDelayMs: opts.shutdownDelayMs }, "draining: readiness is false");
      if (opts.shutdownDelayMs > 0) await new Promise((r) => setTimeout(r, opts.shutdownDelayMs));
      // net's close, not http's: http's also closes every connection without a request in progress,
      // those just accepted included, whose first request may already be on its way, and would be
      // reset. Such a connection gets the grace instead; one that sends a request in it is answered,
      // with `Connection: close`.
      const closed = new Promise<void>((resolve) => NetServer.prototype.close.call(server, () => resolve()));
      sweeping = true;
      for (const socket of readWhenIdle.keys()) {
        // In progress: closed after its answer, as above.
        if (requests.get(socket)) continue;
        // Keep-alive between two requests, silent since the last: at once.
        if (requests.has(socket) && silent(socket)) socket.destroy();
        // Just accepted, or a request still arriving: answered if it comes in the grace or is
        // already on its way; closed after it if silent; else cut with the others.
        else closeAfterGrace(socket, () => silent(socket));
      }
      const cut = setTimeout(() => server.closeAllConnections(), opts.drainTimeoutMs);
      await closed;
      clearTimeout(cut);
      // http's close, with no connection left to close, only stops its connections-checking
      // interval, which net's close leaves scheduled (and the server with it) for the process's life.
      server.close();
      await release();
      log.info({ url }, "stopped");
    })();
    return closing;
  };
  return { url, port, close };
}
