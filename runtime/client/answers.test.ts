import { describe, expect, it } from "vitest";
import { hostMetadata } from "../testing/host-metadata.ts";
import { RetrievalClient } from "./client.ts";
import { RuntimeApiError } from "./http.ts";

const meta = hostMetadata(2);
const embedded = { version: "v1", bundleDigest: meta.bundleDigest, embedding: [1, 0] };
const searched = { version: "v1", bundleDigest: meta.bundleDigest, results: [{ id: "i1", score: 1 }] };

/** A client of a stub host that answers metadata, embed and search as given. */
const clientOf = (answers: { embed?: unknown; search?: unknown }) =>
  new RetrievalClient({
    hostUrl: "http://stub",
    fetch: async (input) => {
      const route = String(input).slice("http://stub".length);
      if (route === "/v1/metadata") return Response.json(meta);
      if (route === "/v1/embed") return Response.json("embed" in answers ? answers.embed : embedded);
      return Response.json("search" in answers ? answers.search : searched);
    },
  });

const badResponse = (message: string) => ({
  name: "RuntimeApiError",
  status: 200,
  code: "bad_response",
  message,
});

describe("embed and search answers", () => {
  it("are taken as a runtime gives them", async () => {
    const client = clientOf({});
    const embedding = await client.embed({ userId: "u" });
    expect(Array.from(embedding.vector)).toEqual([1, 0]);
    expect(await client.search(embedding, { k: 1 })).toEqual(searched);
  });

  it("without an embedding of the metadata's dims in finite float32 numbers are bad_response", async () => {
    const { embedding: _, ...none } = embedded;
    for (const answer of [
      none,
      { ...embedded, embedding: [1] },
      { ...embedded, embedding: [1, "0"] },
      { ...embedded, embedding: [1, 1e39] },
      null,
    ]) {
      await expect(clientOf({ embed: answer }).embed({ userId: "u" })).rejects.toMatchObject(
        badResponse("http://stub/v1/embed: the answer has no embedding of 2 finite float32 numbers"),
      );
    }
    await expect(
      clientOf({ embed: { ...embedded, version: "v0" } }).embed({ userId: "u" }),
    ).rejects.toMatchObject(
      badResponse(
        `http://stub/v1/embed embedded with v0 (bundle ${meta.bundleDigest}), asked for v1 (bundle ${meta.bundleDigest})`,
      ),
    );
  });

  it("without an array of results of the embedding's version are bad_response", async () => {
    for (const answer of [
      {},
      { version: "v1" },
      { version: "v1", results: {} },
      { ...searched, version: "v0" },
      null,
    ]) {
      const client = clientOf({ search: answer });
      const err = await client.search(await client.embed({ userId: "u" }), { k: 1 }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(RuntimeApiError);
      expect(err).toMatchObject({
        ...badResponse("http://stub/v1/search: the answer is no search result of version v1"),
        body: answer,
      });
    }
  });
});
