import { describe, expect, it } from "vitest";
import { expectGolden } from "../../test/support/runtimes/golden.js";
import { defaultServingConfig } from "../config/serving-config.js";
import { autoscalerClass, buildRuntimeHpa, hpaSettings } from "./hpa.js";

describe("hpaSettings (upstream's unit-test table)", () => {
  it.each([
    [{}, 1, 1, "cpu", 80],
    [{ "serving.kserve.io/max-scale": "2" }, 1, 2, "cpu", 80],
    [{ "serving.kserve.io/min-scale": "2" }, 2, 2, "cpu", 80],
    [{ "serving.kserve.io/min-scale": "2", "serving.kserve.io/max-scale": "3" }, 2, 3, "cpu", 80],
    [{ "serving.kserve.io/metrics": "memory" }, 1, 1, "memory", 80],
    [{ "serving.kserve.io/targetUtilizationPercentage": "50" }, 1, 1, "cpu", 50],
  ])("%j ⇒ min %s max %s %s %s%%", (annotations, min, max, metric, target) => {
    expect(hpaSettings(annotations)).toEqual({
      minReplicas: min,
      maxReplicas: max,
      metric,
      targetUtilization: target,
      ignoredAnnotations: [],
    });
  });

  it("keeps the defaults for numbers it cannot read and says which", () => {
    expect(
      hpaSettings({
        "serving.kserve.io/min-scale": "two",
        "serving.kserve.io/targetUtilizationPercentage": "5.5",
      }),
    ).toEqual({
      minReplicas: 1,
      maxReplicas: 1,
      metric: "cpu",
      targetUtilization: 80,
      ignoredAnnotations: ["serving.kserve.io/min-scale", "serving.kserve.io/targetUtilizationPercentage"],
    });
  });
});

describe("autoscalerClass", () => {
  it.each([
    [undefined, "none"],
    [{}, "none"],
    [{ "serving.kserve.io/autoscalerClass": "none" }, "none"],
    [{ "serving.kserve.io/autoscalerClass": "hpa" }, "hpa"],
    [{ "serving.kserve.io/autoscalerClass": "external" }, "external"],
  ])("%j ⇒ %s", (annotations, expected) => {
    expect(autoscalerClass(annotations)).toBe(expected);
  });
});

describe("buildRuntimeHpa", () => {
  it("targets the runtime Deployment, labelled and owned like upstream", () => {
    const hpa = buildRuntimeHpa(
      {
        name: "mlserver-1.x",
        namespace: "team-a",
        kind: "ServingRuntime",
        uid: "0b6f1e7e-9a43-4f0e-8b0d-3c1d2e3f4a5b",
        metadata: {
          labels: { team: "a" },
          annotations: {
            "serving.kserve.io/autoscalerClass": "hpa",
            "serving.kserve.io/min-scale": "2",
            "serving.kserve.io/max-scale": "4",
            "serving.kserve.io/metrics": "memory",
            "serving.kserve.io/targetUtilizationPercentage": "70",
          },
        },
      },
      defaultServingConfig(),
    );
    expectGolden(import.meta.url, "hpa", hpa);
  });
});
