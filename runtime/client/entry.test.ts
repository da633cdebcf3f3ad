import { execFile } from "node:child_process";
import { readFile } from "node:fs/promises";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";

const index = new URL("./index.ts", import.meta.url);

// A fresh process records every module the import resolves: this test's own process has loaded
// the whole runtime already.
const resolvedBy = async (entry: URL): Promise<string[]> => {
  const script = `
    import { registerHooks } from "node:module";
    const urls = [];
    registerHooks({ resolve: (specifier, context, next) => { const r = next(specifier, context); urls.push(r.url); return r; } });
    await import(${JSON.stringify(entry.href)});
    process.stdout.write(JSON.stringify(urls));
  `;
  const { stdout } = await promisify(execFile)(process.execPath, ["--input-type=module", "-e", script]);
  return JSON.parse(stdout) as string[];
};

describe("towerops/runtime/client", () => {
  it("is the client's own index, which loads no package (no usearch, tfjs, express, prom-client)", async () => {
    const pkg = JSON.parse(await readFile(new URL("../../package.json", import.meta.url), "utf8")) as {
      exports: Record<string, unknown>;
    };
    expect(pkg.exports["./runtime/client"]).toEqual({
      types: "./dist/runtime/client/index.d.ts",
      default: "./dist/runtime/client/index.js",
    });
    const urls = await resolvedBy(index);
    expect(urls).toContain(index.href);
    expect(urls.filter((url) => url.includes("/node_modules/"))).toEqual([]);
  });
});
