// What the client takes from an embed or search answer, checked as annHostMetadata checks the
// metadata: an answer no runtime gives (a stub, a proxy's `{}`) is `bad_response`, never a
// TypeError from reading it nor a result whose `results` are undefined.
import type { HostMetadata } from "../ann-host.ts";
import type { RetrievalResult } from "./client.ts";
import { RuntimeApiError } from "./http.ts";

/** An answer's fields to check, none of an answer that is no object. */
export const fieldsOf = (answer: unknown) =>
  (typeof answer === "object" && answer !== null ? answer : {}) as Record<string, unknown>;

/** The vector of an embed answer made with the viewer version and bundle `meta` names. */
export function embeddingOf(url: string, answer: unknown, meta: HostMetadata): number[] {
  const { version, bundleDigest, embedding } = fieldsOf(answer);
  // The client keeps it as float32, as the host searches it: a value past float32's range would
  // be sent back as Infinity, which JSON cannot carry.
  const float32 = (x: unknown) => typeof x === "number" && Number.isFinite(Math.fround(x));
  if (!Array.isArray(embedding) || embedding.length !== meta.dims || !embedding.every(float32)) {
    throw new RuntimeApiError(
      200,
      "bad_response",
      `${url}: the answer has no embedding of ${meta.dims} finite float32 numbers`,
      { body: answer },
    );
  }
  if (version !== meta.viewerVersion || bundleDigest !== meta.bundleDigest) {
    throw new RuntimeApiError(
      200,
      "bad_response",
      `${url} embedded with ${version} (bundle ${bundleDigest}), asked for ${meta.viewerVersion} (bundle ${meta.bundleDigest})`,
    );
  }
  return embedding;
}

export function searchResult(url: string, answer: unknown, version: string): RetrievalResult {
  const { version: searched, results } = fieldsOf(answer);
  if (searched !== version || !Array.isArray(results)) {
    throw new RuntimeApiError(
      200,
      "bad_response",
      `${url}: the answer is no search result of version ${version}`,
      { body: answer },
    );
  }
  return answer as RetrievalResult;
}
