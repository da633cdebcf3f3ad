// The client's options are checked once, when it is made: a timeout Node's timers cannot hold, or a
// URL fetch cannot reach, would otherwise fail every call, and not as what it is (a timeout past
// 2^31 ms fires after 1 ms, so every call "timed out"; `localhost:8080` is an "unknown scheme").

/** The longest delay Node's timers hold (a signed 32-bit count of milliseconds, about 24.8 days). */
export const MAX_TIMEOUT_MS = 2 ** 31 - 1;

export function requestTimeout(ms: number): number {
  if (!Number.isInteger(ms) || ms < 1 || ms > MAX_TIMEOUT_MS) {
    throw new RangeError(
      `timeoutMs must be a whole number of milliseconds from 1 to ${MAX_TIMEOUT_MS}, got ${ms}; a call's signal bounds the whole call instead`,
    );
  }
  return ms;
}

/** An http(s) URL without its trailing slashes, so that paths can be appended to it. */
export function baseUrl(option: string, url: string): string {
  const { protocol } = URL.canParse(url) ? new URL(url) : { protocol: undefined };
  if (protocol !== "http:" && protocol !== "https:") {
    throw new TypeError(`${option} must be an http:// or https:// URL, got ${JSON.stringify(url)}`);
  }
  return url.replace(/\/+$/, "");
}
