import { describe, expect, it } from "vitest";
import { RetrievalClient } from "./client.ts";
import { baseUrl, MAX_TIMEOUT_MS, requestTimeout } from "./options.ts";

describe("client options", () => {
  it("takes a timeout Node's timers hold, and refuses any other once", () => {
    for (const ms of [1, 5_000, MAX_TIMEOUT_MS]) expect(requestTimeout(ms)).toBe(ms);
    // From 2^31 a timer fires after 1 ms, so every call would time out at once; the others are
    // refused by the timer itself, as a RangeError from every call.
    for (const ms of [MAX_TIMEOUT_MS + 1, 2 ** 32 - 1, Number.POSITIVE_INFINITY, Number.NaN, 1.5, 0, -1]) {
      expect(() => requestTimeout(ms)).toThrow(
        new RangeError(
          `timeoutMs must be a whole number of milliseconds from 1 to 2147483647, got ${ms}; a call's signal bounds the whole call instead`,
        ),
      );
    }
  });

  it("takes an http(s) URL without its trailing slashes, and refuses one without a scheme", () => {
    expect(baseUrl("hostUrl", "http://ann-0:8080/")).toBe("http://ann-0:8080");
    expect(baseUrl("hostUrl", "HTTPS://gateway/retrieval//")).toBe("HTTPS://gateway/retrieval");
    // `localhost:8080` parses, as a URL of scheme "localhost:".
    for (const [url, read] of [
      ["localhost:18391", "it has no http:// or https:// scheme"],
      ["ftp://ann-0", 'its scheme is "ftp:"'],
      ["ann-0", "it is no URL"],
      ["", "it is no URL"],
    ]) {
      expect(() => baseUrl("viewerUrl", url as string)).toThrow(
        new TypeError(`viewerUrl must be an http:// or https:// URL such as http://ann-host:8080; ${read}`),
      );
    }
  });

  it("never repeats the URL, which can hold a password or a token", () => {
    for (const url of [
      "admin:s3cret@10.0.0.5:8080",
      "http://10.0.0.5:8080/?api_key=s3cret",
      "http://u:s3cret@h",
    ])
      expect(() => baseUrl("hostUrl", url)).toThrow(
        expect.objectContaining({ message: expect.not.stringContaining("s3cret") }),
      );
  });

  it("refuses credentials, without repeating the password, and a query or fragment", () => {
    // fetch refuses every request to a URL with credentials, saying the URL, password and all.
    for (const url of ["http://user:s3cret@ann-0:8080", "http://user@ann-0", "ftp://:s3cret@ann-0"]) {
      expect(() => baseUrl("hostUrl", url)).toThrow(
        new TypeError(
          "hostUrl must not hold a user name or password, which fetch refuses to send; give credentials as a header through the client's fetch option",
        ),
      );
    }
    // The paths would follow the query: /?tenant=a/v1/metadata asks for "/", and a bare "?" parses to no search.
    for (const url of [
      "http://ann-0:8080/?tenant=a",
      "http://ann-0:8080?",
      "https://gw/retrieval#v1",
      "http://ann-0/#",
    ]) {
      expect(() => baseUrl("viewerUrl", url)).toThrow(
        new TypeError(
          "viewerUrl must not have a query or fragment, since the client appends its paths (/v1/...) to it",
        ),
      );
    }
  });

  it("are checked when the client is made, not by each call", () => {
    expect(() => new RetrievalClient({ hostUrl: "localhost:18391" })).toThrow(/^hostUrl must be/);
    expect(() => new RetrievalClient({ hostUrl: "http://a", viewerUrl: "b:1" })).toThrow(
      /^viewerUrl must be/,
    );
    expect(() => new RetrievalClient({ hostUrl: "http://a", viewerUrl: "http://v:8080/?x=1" })).toThrow(
      /^viewerUrl must not have a query/,
    );
    expect(() => new RetrievalClient({ hostUrl: "http://a", timeoutMs: 2 ** 31 })).toThrow(
      /^timeoutMs must be/,
    );
  });
});
