import { describe, expect, it } from "vitest";
import { columnsLabel, logNames, parseColumns } from "./columns.ts";
import { knownName } from "./format.ts";

describe("parseColumns", () => {
  it("takes any subset of the roles, names as written around spaces aside", () => {
    expect(parseColumns("user=customer,item=sku,timestamp=ordered_at,weight=qty,rating=stars")).toEqual({
      user: "customer",
      item: "sku",
      timestamp: "ordered_at",
      weight: "qty",
      rating: "stars",
    });
    expect(parseColumns(" Timestamp = Order Date ")).toEqual({ timestamp: "Order Date" });
    // Only the first = splits: the rest is the name's.
    expect(parseColumns("user=a=b")).toEqual({ user: "a=b" });
  });

  it("refuses a pair it cannot read, an unknown role, a role named twice and a column named for two", () => {
    for (const [text, pair] of [
      ["", ""],
      ["user", "user"],
      ["user=", "user="],
      ["user=a,", ""],
    ]) {
      expect(() => parseColumns(text), text).toThrow(
        `"${pair}" is no <role>=<column> pair; expected e.g. user=customer,item=sku,timestamp=ordered_at`,
      );
    }
    expect(() => parseColumns("=a")).toThrow('"" is no role');
    expect(() => parseColumns("usr=a")).toThrow(
      '"usr" is no role; the roles are user, item, timestamp, weight, rating',
    );
    expect(() => parseColumns("user=a,User=b")).toThrow("user is named twice");
    expect(() => parseColumns("user=id,item=id")).toThrow('column "id" is named for both user and item');
  });
});

describe("logNames", () => {
  it("is the known names alone without --columns", () => {
    expect(logNames().nameOf).toBe(knownName);
    expect(logNames({}).nameOf).toBe(knownName);
  });

  it("reads a named column for its role, and leaves a known name of that role unread", () => {
    const naming = logNames({ user: "customer", timestamp: "item" });
    const roleOf = (name: string) => naming.nameOf(name)?.role;
    expect(naming.nameOf("customer")).toEqual({ role: "user", rank: 0 });
    expect(roleOf("Customer")).toBeUndefined();
    // Named for another role: the name decides, not the known name.
    expect(roleOf("item")).toBe("timestamp");
    expect(roleOf("user_id")).toBeUndefined();
    expect(roleOf("ts")).toBeUndefined();
    expect(roleOf("customer_id")).toBeUndefined();
    expect(naming.nameOf("item_id")).toEqual({ role: "item", rank: 0 });
    expect(naming.nameOf("Product ID")).toEqual({ role: "item", rank: 1 });
    expect(roleOf("note")).toBeUndefined();
  });
});

describe("columnsLabel", () => {
  it("writes the roles in one order, however the flag gave them, and none without one", () => {
    expect(columnsLabel(parseColumns(" timestamp = t ,item=a,user=b"))).toBe("user=b,item=a,timestamp=t");
    expect(columnsLabel(parseColumns("rating=Order Date,weight=w"))).toBe("weight=w,rating=Order Date");
    expect(columnsLabel({})).toBe("none");
    expect(columnsLabel()).toBe("none");
  });
});
