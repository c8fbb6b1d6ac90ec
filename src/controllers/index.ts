/** Registers every controller of the process on the context's manager. */
import type { ControllerContext } from "./context.js";
import { setupModelController } from "./model/index.js";
import { setupNamespaceController } from "./namespace/index.js";
import { setupServingRuntimeController } from "./serving-runtime/index.js";
import { RuntimeCaches } from "./shared/runtimes.js";

export interface ControllerOptions {
  /** Concurrent reconciles per controller. */
  workers?: number;
}

export function setupControllers(ctx: ControllerContext, options: ControllerOptions = {}): void {
  const runtimes = new RuntimeCaches(ctx);
  setupNamespaceController(ctx, runtimes, options);
  setupServingRuntimeController(ctx, runtimes, options);
  setupModelController(ctx);
}
