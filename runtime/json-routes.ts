// The serving routes (POST, JSON in and out) answered on node:http directly. Express's router,
// body-parser and response helpers cost about as much CPU per request as a search over 100k
// items, and the ANN host shares its cores with the search; express still serves everything else
// (health, metrics, metadata, unknown paths) through the same metrics, logs and error shape.
import type { IncomingMessage, RequestListener, ServerResponse } from "node:http";
import type { Logger } from "../shared/log.ts";
import { parseBodyLimit } from "./body-limit.ts";
import { ApiError } from "./errors.ts";
import { type Lifecycle, type Refusal, recordRequest, refusal, reportError } from "./http.ts";
import type { RuntimeMetrics } from "./metrics.ts";

/** Takes the parsed body (an object or array) and returns what is sent back as JSON. */
export type JsonHandler = (body: unknown) => unknown;

export interface JsonRoutesOptions {
  metrics: RuntimeMetrics;
  log: Logger;
  lifecycle: Lifecycle;
  /** Largest accepted body, e.g. "1mb" or a byte count. */
  bodyLimit: string | number;
}

const SPACE = new Set([0x20, 0x09, 0x0a, 0x0d]);

export class JsonRoutes {
  private readonly routes = new Map<string, JsonHandler>();
  private readonly opts: JsonRoutesOptions;
  private readonly limit: number;

  constructor(opts: JsonRoutesOptions) {
    this.opts = opts;
    this.limit = parseBodyLimit(opts.bodyLimit);
  }

  /** Whether the host serves yet: the express routes under /v1 answer by it too (http.ts whenReady). */
  get lifecycle(): Lifecycle {
    return this.opts.lifecycle;
  }

  post(path: string, handler: JsonHandler): void {
    this.routes.set(path, handler);
  }

  /** Serves the request if it is a POST to one of these routes; false leaves it to express. */
  handle(req: IncomingMessage, res: ServerResponse): boolean {
    if (req.method !== "POST") return false;
    const path = routePath(req.url ?? "");
    if (path === undefined) return false;
    const handler = this.routes.get(path);
    if (!handler) return false;
    this.serve(req, res, path, handler).catch((err: unknown) => {
      // serve() answers every failure itself; reaching here means the answer could not be sent.
      this.opts.log.error({ err, url: req.url }, "could not answer a request");
      res.destroy();
    });
    return true;
  }

  private async serve(req: IncomingMessage, res: ServerResponse, route: string, handler: JsonHandler) {
    const started = process.hrtime.bigint();
    let status = 200;
    let refused: Refusal | undefined;
    let body: string;
    try {
      if (!this.opts.lifecycle.ready) throw new ApiError("not_ready", "the bundle is not loaded yet");
      body = JSON.stringify(await handler(await this.readJson(req)));
    } catch (err) {
      const api = reportError(err, this.opts.metrics, this.opts.log, route, req.url ?? "");
      status = api.status;
      refused = refusal(api);
      body = JSON.stringify(api.toBody());
      // Unread body bytes would be taken for the next request on a keep-alive connection. A host
      // that cannot serve (503) should not keep one: a retry then reaches another worker or pod.
      if (!req.complete || status === 503) res.setHeader("connection", "close");
    }
    res.writeHead(status, {
      "content-type": "application/json; charset=utf-8",
      "content-length": Buffer.byteLength(body),
    });
    res.end(body);
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    recordRequest(this.opts.metrics, this.opts.log, {
      method: "POST",
      route,
      url: req.url ?? "",
      status,
      ms: seconds * 1e3,
      ...refused,
    });
  }

  /** The body as body-parser's strict JSON mode would give it: only objects or arrays, {} if empty. */
  private async readJson(req: IncomingMessage): Promise<unknown> {
    const type = (req.headers["content-type"] ?? "").split(";");
    if ((type[0] ?? "").trim().toLowerCase() !== "application/json") {
      throw new ApiError(
        "unsupported_media_type",
        "request body must be JSON with Content-Type: application/json",
      );
    }
    const charset = type
      .slice(1)
      .map((p) => p.trim().toLowerCase())
      .find((p) => p.startsWith("charset="));
    if (charset !== undefined && !/^charset="?utf-8"?$/.test(charset)) {
      throw new ApiError("unsupported_media_type", `unsupported charset "${charset.slice(8).toUpperCase()}"`);
    }
    const encoding = (req.headers["content-encoding"] ?? "identity").toLowerCase();
    if (encoding !== "identity") {
      throw new ApiError("unsupported_media_type", `unsupported content encoding "${encoding}"`);
    }
    const declared = Number(req.headers["content-length"]);
    if (declared > this.limit) throw this.tooLarge();

    // Plain listeners: an async iterator over the request cost ~10 us per request in profiles.
    const chunks = await new Promise<Buffer[]>((resolve, reject) => {
      const got: Buffer[] = [];
      let size = 0;
      req.on("data", (chunk: Buffer) => {
        size += chunk.length;
        if (size > this.limit) {
          req.pause();
          reject(this.tooLarge());
        } else got.push(chunk);
      });
      req.once("end", () => resolve(got));
      req.once("error", (err) =>
        reject(new ApiError("invalid_value", `could not read the request body: ${err.message}`)),
      );
      req.once("close", () => {
        if (!req.complete) reject(new ApiError("invalid_value", "the request was aborted"));
      });
    });
    const raw = (chunks.length === 1 ? (chunks[0] as Buffer) : Buffer.concat(chunks)).toString("utf8");
    // A UTF-8 byte-order mark, which express.json() skips too (Windows tools write one).
    const text = raw.charCodeAt(0) === 0xfeff ? raw.slice(1) : raw;
    let first = 0;
    while (first < text.length && SPACE.has(text.charCodeAt(first))) first++;
    if (first === text.length) return {};
    const c = text[first];
    if (c !== "{" && c !== "[") {
      throw new ApiError("malformed_json", `malformed JSON body: expected an object or array, got ${c}`);
    }
    try {
      return JSON.parse(text);
    } catch (err) {
      throw new ApiError("malformed_json", `malformed JSON body: ${(err as Error).message}`);
    }
  }

  private tooLarge(): ApiError {
    return new ApiError("body_too_large", `request body exceeds the ${this.opts.bodyLimit} limit`);
  }
}

/**
 * The route a request target names, matched as express matches it: case-insensitively, with one
 * trailing slash allowed. An absolute-form target (`POST http://host/v1/search`, which HTTP/1.1
 * servers must accept and proxies send) names its URL's path; one that does not parse names none
 * and is left to express, which answers 404.
 */
function routePath(target: string): string | undefined {
  let path: string;
  if (target.startsWith("/")) {
    const q = target.indexOf("?");
    path = q === -1 ? target : target.slice(0, q);
  } else if (URL.canParse(target)) {
    path = new URL(target).pathname;
  } else return undefined;
  path = path.toLowerCase();
  return path.length > 1 && path.endsWith("/") ? path.slice(0, -1) : path;
}

/** One listener for a role: its JSON routes first, express for everything else. */
export function withJsonRoutes(routes: JsonRoutes, app: RequestListener): RequestListener {
  return (req, res) => {
    if (!routes.handle(req, res)) app(req, res);
  };
}
