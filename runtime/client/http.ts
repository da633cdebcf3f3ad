// JSON over fetch for the client: every failure becomes a RuntimeApiError carrying a
// machine-readable code (the server's, or one of the client's own when no usable answer came), so
// callers branch on `code` and never on message text.
import type { ApiErrorCode } from "../errors.ts";
import { requestBody } from "./non-finite.ts";
import { type CappedText, MAX_ANSWER_BYTES, readCapped } from "./read-capped.ts";

/** What `body` keeps of an answer that is not JSON: enough to recognise it, say a proxy's error page. */
const BODY_PREFIX = 1024;

/**
 * Codes the client gives when the server's answer cannot say: `timeout` (no complete answer within
 * `timeoutMs`), `unreachable` (the connection failed: refused, reset, name not resolved) and
 * `bad_response` (an answer that is not what a runtime server sends).
 */
export type ClientErrorCode = "bad_response" | "timeout" | "unreachable";

export interface RuntimeApiErrorDetails {
  field?: string | undefined;
  body?: unknown;
  cause?: unknown;
}

export class RuntimeApiError extends Error {
  /** The HTTP status, or 0 when no answer came (`timeout`, `unreachable`). */
  readonly status: number;
  readonly code: ApiErrorCode | ClientErrorCode;
  readonly field: string | undefined;
  /** The server's parsed error answer; of an answer that is not JSON, its first 1024 characters. */
  readonly body: unknown;

  constructor(
    status: number,
    code: RuntimeApiError["code"],
    message: string,
    details: RuntimeApiErrorDetails = {},
  ) {
    super(message, details.cause === undefined ? undefined : { cause: details.cause });
    this.name = "RuntimeApiError";
    this.status = status;
    this.code = code;
    this.field = details.field;
    this.body = details.body;
  }
}

export type Fetch = typeof fetch;

export interface Attempt {
  /** Bounds this one request, answer included. */
  timeoutMs: number;
  /** The caller's: aborting it rejects with its reason, as fetch does, and never as a RuntimeApiError. */
  signal?: AbortSignal | undefined;
}

/** What the server answers for 1e999, which a request cannot carry to it: nothing is sent. */
export function nonFiniteError(url: string, field: string): RuntimeApiError {
  return new RuntimeApiError(400, "not_finite", `${url}: ${field} must be finite (not sent)`, { field });
}

/** The answer's JSON, unchecked: what a 2xx answer must hold is the caller's to check. */
export async function requestJson(
  fetchImpl: Fetch,
  url: string,
  body: unknown | undefined,
  { timeoutMs, signal: caller }: Attempt,
): Promise<unknown> {
  caller?.throwIfAborted();
  const sent = body === undefined ? undefined : requestBody(body);
  if (sent?.nonFinite !== undefined) throw nonFiniteError(url, sent.nonFinite);
  const timeout = AbortSignal.timeout(timeoutMs);
  const init: RequestInit = { signal: caller === undefined ? timeout : AbortSignal.any([caller, timeout]) };
  if (sent !== undefined) {
    init.method = "POST";
    init.headers = { "content-type": "application/json" };
    init.body = sent.json;
  }
  let res: Response;
  let answer: CappedText;
  try {
    res = await fetchImpl(url, init);
    answer = await readCapped(res);
  } catch (err) {
    if (caller?.aborted) throw caller.reason;
    throw transportFailure(err, url, timeout, timeoutMs);
  }
  const { text, tooLarge } = answer;
  if (tooLarge) {
    throw new RuntimeApiError(
      res.status,
      "bad_response",
      `${url} answered ${res.status} with more than ${MAX_ANSWER_BYTES / 2 ** 20} MiB`,
      { body: text.slice(0, BODY_PREFIX) },
    );
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new RuntimeApiError(res.status, "bad_response", `${url} answered ${res.status} with non-JSON`, {
      body: text.slice(0, BODY_PREFIX),
    });
  }
  if (!res.ok) {
    const err = serverError(parsed);
    throw new RuntimeApiError(
      res.status,
      err?.code ?? "bad_response",
      `${url}: ${err?.message ?? `HTTP ${res.status}`}`,
      { field: err?.field, body: parsed },
    );
  }
  return parsed;
}

/** The runtime's error, if the answer has its shape: a proxy or a stub may answer any JSON (`null`). */
function serverError(parsed: unknown) {
  const err: unknown = (parsed as { error?: unknown } | null)?.error;
  if (typeof err !== "object" || err === null) return undefined;
  const { code, message, field } = err as Record<string, unknown>;
  if (typeof code !== "string") return undefined;
  return {
    code: code as ApiErrorCode,
    message: typeof message === "string" ? message : undefined,
    field: typeof field === "string" ? field : undefined,
  };
}

/** Why no answer came, judged by the timeout signal rather than the error's shape, which a custom fetch may not keep. */
function transportFailure(
  err: unknown,
  url: string,
  timeout: AbortSignal,
  timeoutMs: number,
): RuntimeApiError {
  if (timeout.aborted) {
    return new RuntimeApiError(0, "timeout", `${url}: no complete answer within ${timeoutMs} ms`, {
      cause: err,
    });
  }
  return new RuntimeApiError(0, "unreachable", `${url}: connection failed (${reason(err)})`, { cause: err });
}

/** undici's "fetch failed" says nothing; the socket error under it (ECONNREFUSED, ENOTFOUND…) does. */
function reason(err: unknown): string {
  const cause =
    err instanceof Error ? (err.cause as { code?: unknown; message?: unknown } | undefined) : undefined;
  const code = cause?.code ?? cause?.message;
  if (typeof code === "string") return code;
  return err instanceof Error ? err.message : String(err);
}
