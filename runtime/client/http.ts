// JSON over fetch for the client: every non-2xx answer becomes a RuntimeApiError carrying the
// server's machine-readable code, so callers branch on `code` and never on message text.
import type { ApiErrorBody, ApiErrorCode } from "../errors.ts";

export class RuntimeApiError extends Error {
  readonly status: number;
  readonly code: ApiErrorCode | "bad_response";
  readonly field: string | undefined;
  readonly body: unknown;

  constructor(
    status: number,
    code: RuntimeApiError["code"],
    message: string,
    field?: string,
    body?: unknown,
  ) {
    super(message);
    this.name = "RuntimeApiError";
    this.status = status;
    this.code = code;
    this.field = field;
    this.body = body;
  }
}

export type Fetch = typeof fetch;

export async function requestJson<T>(
  fetchImpl: Fetch,
  url: string,
  body: unknown | undefined,
  timeoutMs: number,
): Promise<T> {
  const init: RequestInit = { signal: AbortSignal.timeout(timeoutMs) };
  if (body !== undefined) {
    init.method = "POST";
    init.headers = { "content-type": "application/json" };
    init.body = JSON.stringify(body);
  }
  const res = await fetchImpl(url, init);
  const text = await res.text();
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new RuntimeApiError(
      res.status,
      "bad_response",
      `${url} answered ${res.status} with non-JSON`,
      undefined,
      text,
    );
  }
  if (!res.ok) {
    const err = (parsed as Partial<ApiErrorBody>).error;
    throw new RuntimeApiError(
      res.status,
      err?.code ?? "bad_response",
      `${url}: ${err?.message ?? `HTTP ${res.status}`}`,
      err?.field,
      parsed,
    );
  }
  return parsed as T;
}
