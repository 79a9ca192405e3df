import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    testTimeout: 30_000,
    hookTimeout: 30_000,
    pool: "forks",
    // Processes the tests start read NODE_ENV=test too (the stores' nested-write check), whatever the shell exports.
    env: { NODE_ENV: "test" },
    // Each file starts its own nats-server; two cores keep the pool small.
    poolOptions: { forks: { maxForks: 2, minForks: 1 } },
  },
});
