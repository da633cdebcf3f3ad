// Public surface of the runtime: start servers in-process, and the version-synced client.
export type { HostMetadata } from "./ann-host.ts";
export { type AnnHostOptions, startAnnHost } from "./ann-server.ts";
export type { BundleSource } from "./bundle-source.ts";
export * from "./client/index.ts";
export type { ApiErrorBody, ApiErrorCode } from "./errors.ts";
export type { Hit } from "./item-search.ts";
export type { RunningServer } from "./lifecycle.ts";
export {
  startViewerService,
  type ViewerServiceMetadata,
  type ViewerServiceOptions,
} from "./viewer-service.ts";
