/** Registers every controller of the process on the context's manager. */

import { RuntimeCaches } from "./caches/runtime-caches.js";
import type { ControllerContext } from "./context/context.js";
import { setupModelController } from "./model/index.js";
import { setupNamespaceController } from "./namespace/index.js";
import { setupServingRuntimeController } from "./serving-runtime/index.js";

export interface SetupOptions {
  /** Concurrent reconciles per controller. */
  workers?: number;
}

export function setupControllers(ctx: ControllerContext, options: SetupOptions = {}): void {
  const runtimes = new RuntimeCaches(ctx);
  setupNamespaceController(ctx, runtimes, options);
  setupServingRuntimeController(ctx, runtimes, options);
  setupModelController(ctx);
}
