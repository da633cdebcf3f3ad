export {
  type CallOptions,
  RetrievalClient,
  type RetrievalClientOptions,
  type RetrievalResult,
  type SearchOptions,
  VersionMismatchError,
} from "./client.ts";
export { Embedding } from "./embedding.ts";
export { type ClientErrorCode, RuntimeApiError } from "./http.ts";
