import { describe, expect, it } from "vitest";
import { featureText } from "./feature-text.ts";

describe("featureText", () => {
  it("leaves out the whitespace around a text, a tab, a line break and a no-break space too, not inside it", () => {
    expect(featureText(" tv ")).toBe("tv");
    expect(featureText("\ttv\r\n")).toBe("tv");
    expect(featureText("\u00a0New York\u00a0")).toBe("New York");
    expect(featureText("   ")).toBe("");
    expect(featureText("02134")).toBe("02134");
  });
});
