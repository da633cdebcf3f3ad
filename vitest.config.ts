import { defineConfig } from "vitest/config";

// Two projects: `unit` is fast and needs nothing; `e2e` talks to the real local control plane
// that e2e/cluster/with-cluster.sh brings up, so it runs its files one at a time.
export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: "unit",
          include: ["{cli,shared,crds,operator,runtime,trainer,bench,scripts}/**/*.test.ts"],
          testTimeout: 60_000,
        },
      },
      {
        test: {
          name: "e2e",
          include: ["e2e/**/*.e2e.test.ts"],
          testTimeout: 180_000,
          hookTimeout: 180_000,
          fileParallelism: false,
        },
      },
    ],
  },
});
