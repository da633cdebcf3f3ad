// Express plumbing shared by both runtime roles: JSON parsing with a size limit, per-route metrics
// and logs, health routes, and one error handler that turns anything thrown into the ApiError shape.
import express, { type ErrorRequestHandler, type Express, type Request, type RequestHandler } from "express";
import type { Logger } from "../shared/log.ts";
import { ApiError } from "./errors.ts";
import type { RuntimeMetrics } from "./metrics.ts";

export interface Lifecycle {
  /** Bundle loaded and self-check passed. */
  ready: boolean;
  /** Shutdown started: readiness is false from then on. */
  draining: boolean;
}

function routeOf(req: Request): string {
  // The matched route pattern keeps label cardinality bounded; unmatched paths share one label.
  const path = (req.route as { path?: string } | undefined)?.path;
  return typeof path === "string" ? path : "unmatched";
}

export function createApp(opts: {
  metrics: RuntimeMetrics;
  log: Logger;
  lifecycle: Lifecycle;
  bodyLimit: string | number;
}): Express {
  const { metrics, log, lifecycle } = opts;
  const app = express();
  app.disable("x-powered-by");
  app.set("etag", false);

  app.use((req, res, next) => {
    const started = process.hrtime.bigint();
    res.on("finish", () => {
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      const route = routeOf(req);
      metrics.requestDuration.observe({ route, method: req.method, status: String(res.statusCode) }, seconds);
      const line = {
        method: req.method,
        route,
        url: req.originalUrl,
        status: res.statusCode,
        ms: seconds * 1e3,
      };
      // 503 is the expected answer while loading or draining, not a fault.
      if (res.statusCode >= 500 && res.statusCode !== 503) log.error(line, "request failed");
      else if (res.statusCode >= 400) log.info(line, "request refused");
      else log.debug(line, "request");
    });
    next();
  });

  app.get("/healthz", (_req, res) => {
    res.json({ ok: true });
  });
  app.get("/readyz", (_req, res) => {
    const ready = lifecycle.ready && !lifecycle.draining;
    res.status(ready ? 200 : 503).json({ ready, draining: lifecycle.draining });
  });
  app.get("/metrics", async (_req, res) => {
    res.type(metrics.registry.contentType).send(await metrics.registry.metrics());
  });

  // Serving routes answer 503 until the bundle is loaded and checked.
  app.use("/v1", ((_req, _res, next) => {
    next(lifecycle.ready ? undefined : new ApiError("not_ready", "the bundle is not loaded yet"));
  }) as RequestHandler);
  app.use(express.json({ limit: opts.bodyLimit, strict: true }));
  return app;
}

/** Mount after the routes: unknown paths and every thrown error become `{error: {...}}`. */
export function finishApp(
  app: Express,
  metrics: RuntimeMetrics,
  log: Logger,
  bodyLimit: string | number,
): void {
  app.use((req, _res, next) => {
    next(new ApiError("route_not_found", `no route ${req.method} ${req.path}`));
  });
  const handler: ErrorRequestHandler = (err, req, res, _next) => {
    const api = toApiError(err, bodyLimit);
    if (api.code === "internal") log.error({ err, url: req.originalUrl }, "unhandled error");
    metrics.errors.inc({ route: routeOf(req), code: api.code });
    if (res.headersSent) return;
    res.status(api.status).json(api.toBody());
  };
  app.use(handler);
}

function toApiError(err: unknown, bodyLimit: string | number): ApiError {
  if (err instanceof ApiError) return err;
  const type = (err as { type?: unknown }).type;
  if (type === "entity.parse.failed") {
    return new ApiError("malformed_json", `malformed JSON body: ${(err as Error).message}`);
  }
  if (type === "entity.too.large") {
    return new ApiError("body_too_large", `request body exceeds the ${bodyLimit} limit`);
  }
  if (type === "charset.unsupported" || type === "encoding.unsupported") {
    return new ApiError("unsupported_media_type", (err as Error).message);
  }
  if (typeof type === "string") {
    // Other body-parser failures (aborted request, size mismatch) are the client's.
    return new ApiError("invalid_value", `could not read the request body: ${(err as Error).message}`);
  }
  return new ApiError("internal", "internal error");
}

/** Wraps an async route so its result is sent as JSON; express 5 forwards rejections itself. */
export function jsonRoute(fn: (req: Request) => Promise<unknown> | unknown): RequestHandler {
  return async (req, res) => {
    res.json(await fn(req));
  };
}
