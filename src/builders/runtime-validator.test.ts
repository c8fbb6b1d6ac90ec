import { describe, expect, it } from "vitest";
import type { ServingRuntimeSpec } from "../apis/serving/v1alpha1/serving-runtime.js";
import { OK } from "../lib/result.js";
import {
  admitServingRuntime,
  NOT_MODEL_MESH_MESSAGE,
  PASSED_MESSAGE,
  type RuntimeUnderValidation,
  validateRuntimeSpec,
} from "./runtime-validator.js";

const BUILT_IN = ["triton", "mlserver", "ovms", "torchserve"];

function runtime(spec: Partial<ServingRuntimeSpec> = {}, annotations: Record<string, string> = {}) {
  return {
    metadata: { annotations },
    spec: {
      multiModel: true,
      grpcEndpoint: "port:8001",
      containers: [{ name: "server", image: "example/server:1" }],
      ...spec,
    },
  } satisfies RuntimeUnderValidation;
}

const HPA_BASE = {
  "serving.kserve.io/autoscalerClass": "hpa",
  "serving.kserve.io/metrics": "cpu",
  "serving.kserve.io/targetUtilizationPercentage": "75",
  "serving.kserve.io/min-scale": "2",
  "serving.kserve.io/max-scale": "3",
};

describe("admitServingRuntime: autoscaling annotations (upstream servingruntime_webhook.go)", () => {
  it.each([
    { title: "hpa with cpu", annotations: HPA_BASE },
    { title: "hpa with memory", annotations: { ...HPA_BASE, "serving.kserve.io/metrics": "memory" } },
    { title: "hpa with defaults only", annotations: { "serving.kserve.io/autoscalerClass": "hpa" } },
    {
      title: "class none (accepted, unlike upstream)",
      annotations: { "serving.kserve.io/autoscalerClass": "none" },
    },
    {
      title: "min-scale without max-scale (accepted, unlike upstream)",
      annotations: { "serving.kserve.io/autoscalerClass": "hpa", "serving.kserve.io/min-scale": "2" },
    },
    {
      title: "Go integer syntax",
      annotations: { ...HPA_BASE, "serving.kserve.io/targetUtilizationPercentage": "+050" },
    },
    { title: "no annotations", annotations: {} },
    { title: "target without class", annotations: { "serving.kserve.io/targetUtilizationPercentage": "1" } },
  ])("allows $title", ({ annotations }) => {
    expect(admitServingRuntime(runtime({}, annotations as Record<string, string>), BUILT_IN)).toStrictEqual({
      allowed: true,
      message: PASSED_MESSAGE,
    });
  });

  it.each([
    {
      patch: { "serving.kserve.io/autoscalerClass": "test" },
      message: "[test] is not a supported autoscaler class type.\n",
    },
    {
      patch: { "serving.kserve.io/metrics": "conccurrency" },
      message: "[conccurrency] is not a supported metric.\n",
    },
    {
      patch: { "serving.kserve.io/targetUtilizationPercentage": "-1" },
      message: "The target utilization percentage should be a [1-100] integer.",
    },
    {
      patch: { "serving.kserve.io/targetUtilizationPercentage": "101" },
      message: "The target utilization percentage should be a [1-100] integer.",
    },
    {
      patch: { "serving.kserve.io/targetUtilizationPercentage": "7.5" },
      message: "The target utilization percentage should be a [1-100] integer.",
    },
    { patch: { "serving.kserve.io/min-scale": "0" }, message: "The min replicas should be more than 0" },
    { patch: { "serving.kserve.io/min-scale": "two" }, message: "The min replicas should be a integer." },
    { patch: { "serving.kserve.io/max-scale": "3.0" }, message: "The max replicas should be a integer." },
    {
      patch: { "serving.kserve.io/min-scale": "4", "serving.kserve.io/max-scale": "3" },
      message: "The max replicas should be same or bigger than min replicas.",
    },
  ])("denies $patch", ({ patch, message }) => {
    expect(admitServingRuntime(runtime({}, { ...HPA_BASE, ...patch }), BUILT_IN)).toStrictEqual({
      allowed: false,
      message,
    });
  });

  it("denies replicas together with the hpa class", () => {
    expect(admitServingRuntime(runtime({ replicas: 1 }, HPA_BASE), BUILT_IN)).toStrictEqual({
      allowed: false,
      message: "Autoscaler is enabled and also replicas variable set. You can not set both.",
    });
  });

  it("treats replicas 65535 as unset, as upstream does", () => {
    expect(admitServingRuntime(runtime({ replicas: 65535 }, HPA_BASE), BUILT_IN).allowed).toBe(true);
  });

  it("lets runtimes that are not multi-model through without looking at them", () => {
    const invalid = runtime(
      { multiModel: false, containers: [{ name: "mm" }] },
      { "serving.kserve.io/autoscalerClass": "x" },
    );
    expect(admitServingRuntime(invalid, BUILT_IN)).toStrictEqual({
      allowed: true,
      message: NOT_MODEL_MESH_MESSAGE,
    });
    const { multiModel: _, ...withoutFlag } = invalid.spec;
    expect(admitServingRuntime({ ...invalid, spec: withoutFlag }, BUILT_IN).allowed).toBe(true);
  });

  it("also applies the spec rules at admission", () => {
    expect(admitServingRuntime(runtime({ containers: [{ name: "mm" }] }), BUILT_IN)).toStrictEqual({
      allowed: false,
      message: "container spec for mm is invalid: container name mm is reserved for internal use",
    });
  });
});

describe("validateRuntimeSpec (upstream servingruntime_validator.go, and crash guards)", () => {
  const mlserver = {
    builtInAdapter: { serverType: "mlserver", runtimeManagementPort: 8001 },
    grpcEndpoint: "port:8085",
    containers: [{ name: "mlserver", image: "seldonio/mlserver:1.3.2" }],
  };

  it.each([
    {
      title: "an arbitrary container with securityContext, its own port and mount",
      spec: {
        containers: [
          {
            name: "server",
            securityContext: { capabilities: { add: ["ALL"] } },
            ports: [{ name: "my-port", containerPort: 54321 }],
            volumeMounts: [{ name: "my-volume", mountPath: "/data" }],
            livenessProbe: { httpGet: { path: "/", port: 1 } },
          },
        ],
        volumes: [{ name: "my-volume", emptyDir: {} }],
      },
    },
    { title: "a built-in adapter with its container", spec: mlserver },
    { title: "puller with a unix endpoint", spec: { grpcEndpoint: "unix:///tmp/mm/grpc.sock" } },
    {
      title: "two unix endpoints in the same directory",
      spec: { grpcEndpoint: "unix:/tmp/mm/a.sock", grpcDataEndpoint: "unix:///tmp/mm/b.sock" },
    },
    { title: "storage helper disabled with an endpoint", spec: { storageHelper: { disabled: true } } },
    { title: "hpa with consistent bounds", spec: {}, annotations: HPA_BASE },
    { title: "class none", spec: {}, annotations: { "serving.kserve.io/autoscalerClass": "none" } },
  ])("accepts $title", ({ spec, annotations }) => {
    expect(
      validateRuntimeSpec(runtime(spec as Partial<ServingRuntimeSpec>, annotations), BUILT_IN),
    ).toStrictEqual(OK);
  });

  const container = (extra: Record<string, unknown>) => ({ containers: [{ name: "server", ...extra }] });

  it.each([
    {
      spec: { ...mlserver, builtInAdapter: { serverType: "foo" } },
      message: "unrecognized built-in runtime server type foo",
    },
    { spec: { ...mlserver, builtInAdapter: {} }, message: "unrecognized built-in runtime server type " },
    {
      spec: { ...mlserver, containers: [{ name: "server" }] },
      message: "must include runtime container with name mlserver",
    },
    {
      spec: { containers: [{ name: "mm" }] },
      message: "container spec for mm is invalid: container name mm is reserved for internal use",
    },
    {
      spec: { containers: [{ name: "rest-proxy" }] },
      message:
        "container spec for rest-proxy is invalid: container name rest-proxy is reserved for internal use",
    },
    {
      spec: { containers: [{ name: "puller" }] },
      message: "container spec for puller is invalid: container name puller is reserved for internal use",
    },
    {
      spec: { containers: [{ name: "mm-arbitrary" }] },
      message:
        'container spec for mm-arbitrary is invalid: container name cannot start with "mm-", which is reserved for internal use',
    },
    {
      spec: container({ lifecycle: { preStop: { exec: { command: ["x"] } } } }),
      message:
        "container spec for server is invalid: ReadinessProbe and Lifecycle are managed by modelmesh and cannot be set",
    },
    {
      spec: container({ readinessProbe: { httpGet: { path: "/", port: 1 } } }),
      message:
        "container spec for server is invalid: ReadinessProbe and Lifecycle are managed by modelmesh and cannot be set",
    },
    ...["storage-config", "etcd-config", "tc-config", "domain-socket"].map((name) => ({
      spec: container({ volumeMounts: [{ name, mountPath: "/x" }] }),
      message: `container spec for server is invalid: volume ${name} is reserved for internal use`,
    })),
    {
      spec: container({ volumeMounts: [{ name: "mm-arbitrary", mountPath: "/x" }] }),
      message:
        'container spec for server is invalid: volume cannot start with "mm-", which is reserved for internal use',
    },
    ...["grpc", "http", "prometheus"].map((name) => ({
      spec: container({ ports: [{ name, containerPort: 5000 }] }),
      message: `container spec for server is invalid: port name ${name} is reserved for internal use`,
    })),
    {
      spec: container({ ports: [{ name: "mm-arbitrary", containerPort: 5000 }] }),
      message:
        'container spec for server is invalid: port name cannot start with "mm-", which is reserved for internal use',
    },
    ...[8080, 8085, 8089, 8090].map((containerPort) => ({
      spec: container({ ports: [{ containerPort }] }),
      message: `container spec for server is invalid: Port ${containerPort} is reserved for internal use`,
    })),
    ...[11881, 11888, 11899].map((containerPort) => ({
      spec: container({ ports: [{ containerPort }] }),
      message: "container spec for server is invalid: Port range [11881-11899] is reserved for internal use",
    })),
    ...["storage-config", "etcd-config", "tc-config", "domain-socket", "models-dir"].map((name) => ({
      spec: { volumes: [{ name, emptyDir: {} }] },
      message: `volume ${name} is reserved for internal use`,
    })),
    {
      spec: { volumes: [{ name: "mm-data", emptyDir: {} }] },
      message: 'volume cannot start with "mm-", which is reserved for internal use',
    },
    {
      spec: { ...mlserver, grpcEndpoint: "unix:/tmp/adapter.sock" },
      message: 'Built-in adapter grpcEndpoint must be of the form "port:N": unix:/tmp/adapter.sock',
    },
    {
      spec: { grpcEndpoint: "unix:/tmp/a/grpc.sock", grpcDataEndpoint: "unix:/tmp/b/grpc.sock" },
      message:
        "Only one unix domain socket path is allowed. Found [unix:/tmp/a/grpc.sock unix:/tmp/b/grpc.sock]",
    },
    {
      spec: { grpcEndpoint: "localhost:8001" },
      message: 'grpcEndpoint: Invalid endpoint "localhost:8001": expected "port:<number>" or "unix:<path>"',
    },
    {
      spec: { grpcDataEndpoint: "port:abc" },
      message: 'grpcDataEndpoint: Invalid endpoint "port:abc": expected "port:<number>" or "unix:<path>"',
    },
    ...[
      { ...mlserver, grpcEndpoint: undefined },
      { storageHelper: { disabled: true }, grpcEndpoint: undefined },
      { grpcEndpoint: undefined },
    ].map((spec) => ({ spec, message: "grpcEndpoint is required for a multi-model runtime" })),
  ])("refuses: $message", ({ spec, message }) => {
    const result = validateRuntimeSpec(runtime(spec as Partial<ServingRuntimeSpec>), BUILT_IN);
    expect(result).toStrictEqual({ ok: false, error: message });
  });

  it.each([
    { "serving.kserve.io/autoscalerClass": "external" },
    { "serving.kserve.io/autoscalerClass": "none" },
  ])("accepts the autoscaler classes the reconciler acts on: %j", (annotations) => {
    expect(validateRuntimeSpec(runtime({}, annotations), BUILT_IN)).toStrictEqual(OK);
    expect(admitServingRuntime(runtime({}, annotations), BUILT_IN).allowed).toBe(true);
  });

  it.each([
    [{ "serving.kserve.io/autoscalerClass": "kpa" }, "[kpa] is not a supported autoscaler class type."],
    [
      { ...HPA_BASE, "serving.kserve.io/min-scale": "5" },
      "The max replicas should be same or bigger than min replicas.",
    ],
  ])("refuses annotations the reconciler cannot act on: %j", (annotations, message) => {
    expect(validateRuntimeSpec(runtime({}, annotations), BUILT_IN)).toStrictEqual({
      ok: false,
      error: message,
    });
  });

  it("uses the configured built-in server types", () => {
    expect(validateRuntimeSpec(runtime(mlserver), ["triton"])).toStrictEqual({
      ok: false,
      error: "unrecognized built-in runtime server type mlserver",
    });
  });

  it("reports a spec that does not match the schema", () => {
    const result = validateRuntimeSpec(
      { spec: { containers: "nope" } } as unknown as RuntimeUnderValidation,
      BUILT_IN,
    );
    expect(result.ok).toBe(false);
    expect(!result.ok && result.error).toMatch(/^invalid spec: /);
  });
});
