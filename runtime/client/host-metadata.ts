// The client trusts /v1/metadata to name the versions it asks for. Anything else answering there
// (a viewer service given as hostUrl by mistake) would otherwise have it ask for version
// `undefined`, and the answer would blame the request: `400 missing_field`.
import type { HostMetadata } from "../ann-host.ts";
import { fieldsOf } from "./answers.ts";
import { RuntimeApiError } from "./http.ts";

const NAMES = ["model", "viewerVersion", "bundleDigest"] as const;

export function annHostMetadata(url: string, answer: unknown): HostMetadata {
  const fields = fieldsOf(answer);
  // The dims are what an embedding is checked against before it is searched with.
  const dims = Number.isInteger(fields.dims) && (fields.dims as number) > 0;
  const missing = NAMES.find((name) => typeof fields[name] !== "string") ?? (dims ? undefined : "dims");
  if (fields.role === "viewer" || missing !== undefined) {
    const why = fields.role === "viewer" ? "it is a viewer service" : `its metadata has no ${missing}`;
    throw new RuntimeApiError(200, "bad_response", `${url}: hostUrl is not an ANN host: ${why}`, {
      body: answer,
    });
  }
  return answer as HostMetadata;
}
