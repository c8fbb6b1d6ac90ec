/**
 * Each controller's names, defined here once. `folder`: where it lives under src/controllers, named for what it
 * reconciles. `metrics`: the `controller` label of the controller_runtime_* metrics and the work queue's `name`:
 * upstream's controller names (the `SetupWithManager` of `controllers/service_controller.go`,
 * `controllers/servingruntime_controller.go` and `controllers/predictor_controller.go`), so dashboards and
 * alerts written for upstream keep working. `logger`: upstream's logger name, so log queries do too.
 */
export const CONTROLLER_NAMES = {
  namespace: { folder: "namespace", metrics: "ServiceReconciler", logger: "controllers.Service" },
  servingRuntime: {
    folder: "serving-runtime",
    metrics: "ServingRuntimeReconciler",
    logger: "controllers.ServingRuntime",
  },
  model: { folder: "model", metrics: "Predictor", logger: "controllers.Predictor" },
} as const;
