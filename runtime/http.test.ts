import { describe, expect, it } from "vitest";
import { ApiError } from "./errors.ts";
import { refusal } from "./http.ts";

describe("refusal", () => {
  it("gives the code and field, and cuts a field named by a client's long profile key", () => {
    expect(refusal(new ApiError("wrong_dims", "vector has 3 dims", "vector"))).toEqual({
      code: "wrong_dims",
      field: "vector",
    });
    expect(refusal(new ApiError("route_not_found", "no route"))).toEqual({ code: "route_not_found" });
    const long = refusal(new ApiError("invalid_features", "unknown", `viewer.profile.${"k".repeat(5000)}`));
    expect(long.field).toBe(`viewer.profile.${"k".repeat(105)}…`);
  });
});
