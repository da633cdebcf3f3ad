// Version-synced retrieval client. It reads which version the ANN host serves, embeds with exactly
// that viewer version (on a viewer service when given, else on the host itself), and searches with
// the version asserted. Every call also pins the host's bundle digest: a label names a version, the
// digest the training run behind it. A host that changed version in between answers 409;
// `retrieve` then refreshes the metadata and retries once with a fresh embedding.

import type { ViewerFeatures } from "../../shared/tower/features.ts";
import type { HostMetadata } from "../ann-host.ts";
import type { Hit } from "../item-search.ts";
import { embeddingOf, searchResult } from "./answers.ts";
import { Embedding, issueEmbedding } from "./embedding.ts";
import { annHostMetadata } from "./host-metadata.ts";
import { type Fetch, nonFiniteError, RuntimeApiError, requestJson } from "./http.ts";
import { baseUrl, requestTimeout } from "./options.ts";
import { untilAborted } from "./until-aborted.ts";

export interface RetrievalClientOptions {
  /** http(s) base URL of the ANN host, e.g. http://10.0.0.5:8080 */
  hostUrl: string;
  /** Base URL of a viewer service; when absent the host's own /v1/embed is used. */
  viewerUrl?: string;
  /**
   * Bounds each HTTP request, answer included: whole milliseconds from 1 to 2^31 - 1, default 5000.
   * One call can make several (a retry on `not_ready`, `retrieve`'s second round after a version
   * change): bound a whole call with `signal`.
   */
  timeoutMs?: number;
  fetch?: Fetch;
}

export interface CallOptions {
  /**
   * Aborts the whole call, retries included: it rejects with `signal.reason` (as fetch does), which
   * is never retried. `AbortSignal.timeout(ms)` gives a call a deadline.
   */
  signal?: AbortSignal;
}

export interface SearchOptions extends CallOptions {
  k: number;
  exclude?: string[];
}

export interface RetrievalResult {
  /** The one version both the embedding and the index came from. */
  version: string;
  results: Hit[];
}

/**
 * The version asked for is not the one served: the host now serves another (409
 * `version_mismatch`), or the viewer service no longer serves the cached one (404
 * `unknown_version`, after a rollout retired it). Either way the cached metadata is stale: re-read
 * it, embed again and retry.
 */
export class VersionMismatchError extends RuntimeApiError {
  readonly requestedVersion: string;
  readonly servedVersion: string;

  constructor(cause: RuntimeApiError, requested: string, served: string) {
    super(cause.status, cause.code, cause.message, { field: cause.field, body: cause.body });
    this.name = "VersionMismatchError";
    this.requestedVersion = requested;
    this.servedVersion = served;
  }
}

const STALE = new Set<RuntimeApiError["code"]>(["version_mismatch", "unknown_version"]);

export class RetrievalClient {
  private readonly hostUrl: string;
  private readonly viewerUrl: string | undefined;
  private readonly timeoutMs: number;
  private readonly fetchImpl: Fetch;
  private current: Promise<HostMetadata> | undefined;
  /** The metadata read each embedding was made under: a refusal of the embedding drops only that read. */
  private readonly readOf = new WeakMap<Embedding, Promise<HostMetadata>>();

  constructor(opts: RetrievalClientOptions) {
    this.hostUrl = baseUrl("hostUrl", opts.hostUrl);
    this.viewerUrl = opts.viewerUrl === undefined ? undefined : baseUrl("viewerUrl", opts.viewerUrl);
    this.timeoutMs = requestTimeout(opts.timeoutMs ?? 5_000);
    this.fetchImpl = opts.fetch ?? fetch;
  }

  /**
   * The host's metadata, fetched once and cached until a 409 or refresh(). The read is shared by
   * every call waiting for it, so it runs under no one call's signal: aborting only stops the wait.
   */
  metadata(opts: CallOptions = {}): Promise<HostMetadata> {
    return untilAborted(this.cached(), opts.signal);
  }

  refresh(opts: CallOptions = {}): Promise<HostMetadata> {
    this.current = undefined;
    return this.metadata(opts);
  }

  /** Embeds with the viewer version the host serves right now. */
  async embed(viewer: ViewerFeatures, opts: CallOptions = {}): Promise<Embedding> {
    const read = this.cached();
    const meta = await untilAborted(read, opts.signal);
    const version = meta.viewerVersion;
    const bundleDigest = meta.bundleDigest;
    const url = `${this.viewerUrl ?? this.hostUrl}/v1/embed`;
    const answer = await this.mapMismatch(read, version, () =>
      this.request(url, { viewer, version, bundleDigest }, opts.signal),
    );
    const embedding = issueEmbedding(meta.model, version, bundleDigest, embeddingOf(url, answer, meta));
    this.readOf.set(embedding, read);
    return embedding;
  }

  /** Searches the host with the embedding's own version asserted; never with any other. */
  async search(embedding: Embedding, opts: SearchOptions): Promise<RetrievalResult> {
    const body: Record<string, unknown> = {
      vector: Embedding.wire(embedding),
      k: opts.k,
      version: embedding.version,
      bundleDigest: embedding.bundleDigest,
    };
    if (opts.exclude) body.exclude = opts.exclude;
    const url = `${this.hostUrl}/v1/search`;
    const answer = await this.mapMismatch(this.readOf.get(embedding), embedding.version, () =>
      this.request(url, body, opts.signal),
    );
    return searchResult(url, answer, embedding.version);
  }

  /** Embed then search in one version; if the host changes version in between, retry once. */
  async retrieve(viewer: ViewerFeatures, opts: SearchOptions): Promise<RetrievalResult> {
    // Before the embed, or a k the search could never send would cost a metadata read and an embed.
    if (typeof opts.k === "number" && !Number.isFinite(opts.k))
      throw nonFiniteError(`${this.hostUrl}/v1/search`, "k");
    try {
      return await this.search(await this.embed(viewer, opts), opts);
    } catch (err) {
      if (!(err instanceof VersionMismatchError)) throw err;
      return this.search(await this.embed(viewer, opts), opts);
    }
  }

  private cached(): Promise<HostMetadata> {
    if (this.current !== undefined) return this.current;
    const url = `${this.hostUrl}/v1/metadata`;
    const read = this.request(url, undefined, undefined)
      .then((answer) => annHostMetadata(url, answer))
      .catch((err) => {
        this.forget(read);
        throw err;
      });
    this.current = read;
    return read;
  }

  /**
   * Drops the cached metadata if it is still the `stale` read. During a version change every call
   * in flight hears it refused; the first to drop it starts the new read, which the others keep.
   * Without `stale` (an embedding another client issued) it is dropped regardless.
   */
  private forget(stale: Promise<HostMetadata> | undefined): void {
    if (stale === undefined || this.current === stale) this.current = undefined;
  }

  /**
   * Turns a stale-version answer into VersionMismatchError and drops the metadata read the call was
   * made under, so the next call re-reads it. A viewer service that retired the cached version
   * answers 404, not 409; left unmapped, the client would keep asking for that version until someone
   * called refresh().
   */
  private async mapMismatch<T>(
    read: Promise<HostMetadata> | undefined,
    requested: string,
    call: () => Promise<T>,
  ): Promise<T> {
    try {
      return await call();
    } catch (err) {
      if (err instanceof RuntimeApiError && STALE.has(err.code)) {
        this.forget(read);
        const served = (err.body as { error?: { servedVersion?: string } }).error?.servedVersion ?? "unknown";
        throw new VersionMismatchError(err, requested, served);
      }
      throw err;
    }
  }

  /** A GET when `body` is undefined, else a POST of it as JSON. */
  private request(url: string, body: unknown, signal: AbortSignal | undefined): Promise<unknown> {
    return this.once(() => requestJson(this.fetchImpl, url, body, { timeoutMs: this.timeoutMs, signal }));
  }

  /**
   * Retries a call once on `not_ready`: hosts close the connection with that answer, so the retry
   * reaches another serving worker (one being replaced is still loading) or, through a Service,
   * another pod. Every call here is a read, so repeating it is safe; a second refusal is thrown.
   */
  private async once<T>(call: () => Promise<T>): Promise<T> {
    try {
      return await call();
    } catch (err) {
      if (!(err instanceof RuntimeApiError && err.code === "not_ready")) throw err;
      return call();
    }
  }
}
