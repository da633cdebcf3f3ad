// Express plumbing shared by both runtime roles: per-route metrics and logs, health routes, and one
// error handler that turns anything thrown into the ApiError shape. The JSON serving routes run
// beside it on node:http (json-routes.ts) and report through the same recordRequest and reportError.
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

export function createApp(opts: { metrics: RuntimeMetrics; log: Logger; lifecycle: Lifecycle }): Express {
  const { metrics, log, lifecycle } = opts;
  const app = express();
  app.disable("x-powered-by");
  app.set("etag", false);

  app.use((req, res, next) => {
    const started = process.hrtime.bigint();
    res.on("finish", () => {
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      recordRequest(metrics, log, {
        method: req.method,
        route: routeOf(req),
        url: req.originalUrl,
        status: res.statusCode,
        ms: seconds * 1e3,
        ...(res.locals.refusal as Refusal | undefined),
      });
    });
    next();
  });

  app.get("/healthz", (_req, res) => {
    res.json({ ok: true });
  });
  app.get("/readyz", (_req, res) => {
    const ready = lifecycle.ready && !lifecycle.draining;
    // As every 503: a keep-alive prober would stay on a worker that is still loading or draining.
    if (!ready) res.setHeader("connection", "close");
    res.status(ready ? 200 : 503).json({ ready, draining: lifecycle.draining });
  });
  app.get("/metrics", async (_req, res) => {
    res.type(metrics.registry.contentType).send(await metrics.text());
  });

  return app;
}

/**
 * Put first on every express route under /v1: it answers 503 until the bundle is loaded and
 * checked. Per route, not one app.use("/v1"), so the refusal is counted under the route it refused
 * (app.use runs before any route matched: a not-ready /v1/metadata was counted as "unmatched").
 */
export function whenReady(lifecycle: Lifecycle): RequestHandler {
  return (_req, _res, next) => {
    next(lifecycle.ready ? undefined : new ApiError("not_ready", "the bundle is not loaded yet"));
  };
}

export interface RequestLine extends Refusal {
  method: string;
  route: string;
  url: string;
  status: number;
  ms: number;
}

/** Why a request was answered with an error, for its log line. */
export interface Refusal {
  code?: string;
  field?: string;
}

// A field can name a client's own profile key: kept to a length a log line can hold.
const MAX_FIELD = 120;

/**
 * The code and field of the error a request was answered with: an operator tells a
 * version_mismatch from wrong_dims by them. Not the message, which can quote the request's values.
 */
export function refusal(api: ApiError): Refusal {
  const field =
    api.field !== undefined && api.field.length > MAX_FIELD ? `${api.field.slice(0, MAX_FIELD)}…` : api.field;
  return { code: api.code, ...(field === undefined ? {} : { field }) };
}

export function recordRequest(metrics: RuntimeMetrics, log: Logger, line: RequestLine): void {
  metrics.requestDuration.observe(
    { route: line.route, method: line.method, status: String(line.status) },
    line.ms / 1e3,
  );
  // 503 is the expected answer while loading or draining, not a fault.
  if (line.status >= 500 && line.status !== 503) log.error(line, "request failed");
  else if (line.status >= 400) log.info(line, "request refused");
  else log.debug(line, "request");
}

/** Mount after the routes: unknown paths and every thrown error become `{error: {...}}`. */
export function finishApp(app: Express, metrics: RuntimeMetrics, log: Logger): void {
  app.use((req, _res, next) => {
    next(new ApiError("route_not_found", `no route ${req.method} ${req.path}`));
  });
  const handler: ErrorRequestHandler = (err, req, res, _next) => {
    const api = reportError(err, metrics, log, routeOf(req), req.originalUrl);
    res.locals.refusal = refusal(api);
    if (res.headersSent) return;
    // Not ready or draining: a retry on a new connection reaches another serving worker or pod.
    if (api.status === 503) res.setHeader("connection", "close");
    res.status(api.status).json(api.toBody());
  };
  app.use(handler);
}

/** The ApiError a failure is answered with, counted by code; anything unexpected is logged as internal. */
export function reportError(
  err: unknown,
  metrics: RuntimeMetrics,
  log: Logger,
  route: string,
  url: string,
): ApiError {
  const api = err instanceof ApiError ? err : new ApiError("internal", "internal error");
  if (api.code === "internal") log.error({ err, url }, "unhandled error");
  metrics.errors.inc({ route, code: api.code });
  return api;
}
