import type { HostMetadata } from "../ann-host.ts";

/** The metadata of an ANN host of one item, for tests of what the client makes of it. */
export const hostMetadata = (dims: number): HostMetadata => ({
  model: "m",
  version: "v1",
  viewerVersion: "v1",
  indexVersion: "v1",
  bundleDigest: "a".repeat(64),
  dims,
  metric: "ip",
  items: 1,
});
