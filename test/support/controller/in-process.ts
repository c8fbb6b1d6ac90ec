/**
 * The one way to run the controller in the test process: the context and controllers `modelmesh-serving run`
 * builds, against a real API server, with metrics of its own.
 */
import type { KubeConfig } from "@kubernetes/client-node";
import { createMetricsRegistry } from "../../../src/controller-runtime/metrics.js";
import type { Features, Scope } from "../../../src/controllers/context/context.js";
import {
  createControllerContext,
  type ProcessContext,
} from "../../../src/controllers/context/create-context.js";
import { setupControllers } from "../../../src/controllers/index.js";
import { setupModelController } from "../../../src/controllers/model/index.js";

export interface InProcessController {
  readonly ctx: ProcessContext;
  /** Stops the manager and writes the Events still pending. */
  stop(): Promise<void>;
}

export interface InProcessOptions {
  readonly kubeConfig: KubeConfig;
  readonly scope: Scope;
  readonly controllerNamespace: string;
  readonly controllerDeploymentName?: string;
  /** Skips the API probes. */
  readonly features?: Features;
  /** `all` as `run` sets them up (default), or the model controller alone (the suites of that controller). */
  readonly controllers?: "all" | "model";
  /** Shortest time between two writes of a repeated Event; default 200 ms, so suites see repeats quickly. */
  readonly eventRepeatIntervalMs?: number;
}

export async function startInProcessController(options: InProcessOptions): Promise<InProcessController> {
  const ctx = await createControllerContext({
    kubeConfig: options.kubeConfig,
    scope: options.scope,
    controllerNamespace: options.controllerNamespace,
    controllerDeploymentName: options.controllerDeploymentName ?? "modelmesh-controller",
    features: options.features,
    eventRepeatIntervalMs: options.eventRepeatIntervalMs ?? 200,
    manager: { metrics: createMetricsRegistry(), cacheSyncTimeoutMs: 30_000 },
  });
  if ((options.controllers ?? "all") === "all") setupControllers(ctx, { workers: 2 });
  else setupModelController(ctx);
  await ctx.manager.start();
  return {
    ctx,
    stop: async () => {
      await ctx.manager.stop();
      await ctx.events.flush();
    },
  };
}
