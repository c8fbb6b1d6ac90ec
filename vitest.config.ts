import { defineConfig } from "vitest/config";

// The controller's JSON logs would drown the test report; LOG_LEVEL=debug brings them back.
const env = { LOG_LEVEL: process.env.LOG_LEVEL ?? "silent" };

export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: "unit",
          include: ["src/**/*.test.ts", "scripts/**/*.test.ts", "test/support/**/*.test.ts"],
          environment: "node",
          env,
          sequence: { groupOrder: 0 },
        },
      },
      {
        test: {
          name: "integration",
          include: ["test/integration/**/*.test.ts", "test/e2e/**/*.test.ts"],
          environment: "node",
          env,
          globalSetup: ["test/support/global-setup.ts"],
          testTimeout: 120_000,
          hookTimeout: 180_000,
          // Suites share one control plane per worker pool; two files at a time suit a 2-core machine.
          maxWorkers: 2,
          fileParallelism: true,
          // Unit tests run first, as their own group.
          sequence: { groupOrder: 1 },
        },
      },
    ],
  },
});
