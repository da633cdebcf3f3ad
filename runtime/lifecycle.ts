// Listening and graceful shutdown shared by both roles: readiness drops first, in-flight requests
// finish, then the listener and the bundles are released.
import { createServer, type RequestListener, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import type { Logger } from "../shared/log.ts";
import type { Lifecycle } from "./http.ts";

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
  const server: Server = createServer(handler);
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
      log.info({ url, shutdownDelayMs: opts.shutdownDelayMs }, "draining: readiness is false");
      if (opts.shutdownDelayMs > 0) await new Promise((r) => setTimeout(r, opts.shutdownDelayMs));
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      // Keep-alive sockets turn idle as their last request finishes; close them as they do.
      server.closeIdleConnections();
      const sweep = setInterval(() => server.closeIdleConnections(), 50);
      const cut = setTimeout(() => server.closeAllConnections(), opts.drainTimeoutMs);
      await closed;
      clearInterval(sweep);
      clearTimeout(cut);
      await release();
      log.info({ url }, "stopped");
    })();
    return closing;
  };
  return { url, port, close };
}
