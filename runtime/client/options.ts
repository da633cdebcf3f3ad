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

/**
 * An http(s) URL without its trailing slashes, so that paths can be appended to it. Credentials
 * (fetch refuses every request to a URL holding them, as "fetch failed") and a query or fragment
 * (the paths would land after it) are refused. No message repeats the URL: a password or a token in
 * the query would be printed wherever the error is logged.
 */
export function baseUrl(option: string, url: string): string {
  const parsed = URL.canParse(url) ? new URL(url) : undefined;
  if (parsed?.username || parsed?.password) {
    throw new TypeError(
      `${option} must not hold a user name or password, which fetch refuses to send; give credentials as a header through the client's fetch option`,
    );
  }
  if (parsed?.protocol !== "http:" && parsed?.protocol !== "https:") {
    // Only a scheme URLs have: in a URL without one (token:@host) the "scheme" is whatever came first.
    const read = !parsed
      ? "it is no URL"
      : /^(ftp|file|wss?|data|mailto):$/.test(parsed.protocol)
        ? `its scheme is "${parsed.protocol}"`
        : "it has no http:// or https:// scheme";
    throw new TypeError(`${option} must be an http:// or https:// URL such as http://ann-host:8080; ${read}`);
  }
  // Tested on the text: a bare "?" or "#" parses to an empty search or hash, and would still take the paths.
  if (/[?#]/.test(url)) {
    throw new TypeError(
      `${option} must not have a query or fragment, since the client appends its paths (/v1/...) to it`,
    );
  }
  return url.replace(/\/+$/, "");
}
