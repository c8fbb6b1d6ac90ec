import type { V1Deployment } from "@kubernetes/client-node";
import { describe, expect, it } from "vitest";
import { expectGolden } from "../../test/support/runtimes/golden.js";
import {
  BUILT_IN_RUNTIME_NAMES,
  loadBuiltInRuntime,
  loadRuntimeFixture,
} from "../../test/support/runtimes/load.js";
import type { ServingRuntime } from "../apis/serving/v1alpha1/serving-runtime.js";
import { parseUserConfigYaml } from "../config/parse-user-config.js";
import { defaultServingConfig, type ServingConfig } from "../config/serving-config.js";
import { buildRuntimeDeployment, type DeploymentContext, type RuntimeInput } from "./deployment.js";

function configFrom(yamlText: string): ServingConfig {
  const result = parseUserConfigYaml(yamlText);
  if (!result.ok) throw new Error(result.error);
  return result.value.config;
}

function input(runtime: ServingRuntime, kind: RuntimeInput["kind"] = "ServingRuntime"): RuntimeInput {
  return {
    name: runtime.metadata.name ?? "",
    namespace: runtime.metadata.namespace ?? "modelmesh-serving",
    kind,
    uid: "6d0c9a52-3f7e-4b8e-9a55-1f0e2d3c4b5a",
    spec: runtime.spec,
    metadata: runtime.metadata,
  };
}

function context(overrides: Partial<DeploymentContext> = {}): DeploymentContext {
  return {
    config: defaultServingConfig(),
    replicas: 1,
    pvcNames: [],
    etcdSecretName: "model-serving-etcd",
    tlsSecretHasCaCrt: false,
    ...overrides,
  };
}

function render(runtime: RuntimeInput, ctx: DeploymentContext = context()): V1Deployment {
  const result = buildRuntimeDeployment(runtime, ctx);
  if (!result.ok) throw new Error(result.error);
  return result.value;
}

function errorOf(runtime: RuntimeInput, ctx: DeploymentContext = context()): string {
  const result = buildRuntimeDeployment(runtime, ctx);
  if (result.ok) throw new Error("expected an error");
  return result.error;
}

function containerNames(deployment: V1Deployment): string[] {
  return (deployment.spec?.template.spec?.containers ?? []).map((container) => container.name);
}

function container(deployment: V1Deployment, name: string) {
  const found = deployment.spec?.template.spec?.containers.find((c) => c.name === name);
  if (found === undefined) throw new Error(`no container ${name}`);
  return found;
}

function envOf(deployment: V1Deployment, name: string): Record<string, string | undefined> {
  return Object.fromEntries((container(deployment, name).env ?? []).map((v) => [v.name, v.value]));
}

const customWithPuller = () => input(loadRuntimeFixture("custom-runtime-puller.yaml"));
const customWithoutPuller = () => input(loadRuntimeFixture("custom-runtime-pullerless.yaml"));
const unixSocket = () => input(loadRuntimeFixture("unix-socket-runtime.yaml"));
const everything = () => input(loadRuntimeFixture("everything-runtime.yaml"));
const mlserver = () => input(loadBuiltInRuntime("mlserver-1.x"), "ClusterServingRuntime");

describe("golden Deployments", () => {
  it.each(BUILT_IN_RUNTIME_NAMES)("built-in %s with the default config", (name) => {
    expectGolden(
      import.meta.url,
      `builtin-${name}`,
      render(input(loadBuiltInRuntime(name), "ClusterServingRuntime")),
    );
  });

  it.each([
    ["custom-with-puller", customWithPuller, context()],
    ["custom-without-puller", customWithoutPuller, context()],
    [
      "metrics-on-rest-proxy-off",
      mlserver,
      context({ config: configFrom("restProxy: {enabled: false}\nmetrics: {port: 2113, scheme: http}") }),
    ],
    ["rest-proxy-on-metrics-off", mlserver, context({ config: configFrom("metrics: {enabled: false}") })],
    [
      "rest-proxy-off-metrics-off",
      mlserver,
      context({ config: configFrom("metrics: {enabled: false}\nrestProxy: {enabled: false}") }),
    ],
    ["tls-without-client-auth", mlserver, context({ config: configFrom("tls: {secretName: mm-tls}") })],
    [
      "tls-with-client-auth",
      mlserver,
      context({
        config: configFrom("tls: {secretName: mm-tls, clientAuth: ' require '}"),
        tlsSecretHasCaCrt: true,
      }),
    ],
    [
      "tls-with-client-auth-no-ca",
      customWithPuller,
      context({ config: configFrom("tls: {secretName: mm-tls, clientAuth: optional}") }),
    ],
    [
      "payload-processors",
      customWithPuller,
      context({
        config: configFrom(
          "payloadProcessors: ['http://logger.team-a:8080/consume', 'logger://']\nenableAccessLogging: true\n" +
            "grpcMaxMessageSizeBytes: 33554432\n" +
            "internalModelMeshEnvVars: [{name: BOOTSTRAP_CLEARANCE_PERIOD_MS, value: '0'}, {name: MM_SERVICE_NAME, value: x}]",
        ),
      }),
    ],
    ["unix-socket-endpoints", unixSocket, context()],
    [
      "unix-socket-endpoints-pullerless",
      () => {
        const runtime = unixSocket();
        return { ...runtime, spec: { ...runtime.spec, storageHelper: { disabled: true } } };
      },
      context({ config: configFrom("restProxy: {enabled: false}") }),
    ],
    [
      "everything",
      everything,
      context({
        config: configFrom(
          "imagePullSecrets: [{name: shared-registry}, {name: controller-registry}]\n" +
            "runtimePodLabels: {team: from-config, example.com/Tier: gold}\n" +
            "runtimePodAnnotations: {sidecar.istio.io/inject: 'true', example.com/note: hello}\n" +
            "serviceAccountName: modelmesh\nstorageSecretName: my-storage\n" +
            "modelMeshImage: {name: kserve/modelmesh, tag: v0.11.2, digest: 'sha256:0123'}\n" +
            "inferenceServiceName: mesh\ninferenceServicePort: 9033",
        ),
        replicas: 3,
        pvcNames: ["models-pvc", "archive", "models-pvc"],
        etcdSecretName: "custom-etcd",
      }),
    ],
  ] as const)("%s", (name, runtime, ctx) => {
    expectGolden(import.meta.url, name, render(runtime(), ctx));
  });
});

describe("container order (upstream swaps mm with the last container)", () => {
  it.each([
    ["built-in, REST off", mlserver(), "restProxy: {enabled: false}", ["mlserver-adapter", "mlserver", "mm"]],
    ["built-in, REST on", mlserver(), "", ["rest-proxy", "mlserver", "mlserver-adapter", "mm"]],
    [
      "custom + puller, REST off",
      customWithPuller(),
      "restProxy: {enabled: false}",
      ["custom-runtime", "mm", "puller"],
    ],
    ["custom + puller, REST on", customWithPuller(), "", ["rest-proxy", "custom-runtime", "mm", "puller"]],
    [
      "custom, no puller, REST off",
      customWithoutPuller(),
      "restProxy: {enabled: false}",
      ["modelserver", "mm"],
    ],
    ["custom, no puller, REST on", customWithoutPuller(), "", ["rest-proxy", "modelserver", "mm"]],
  ] as const)("%s", (_, runtime, configText, expected) => {
    expect(containerNames(render(runtime, context({ config: configFrom(configText) })))).toEqual(expected);
  });

  it("with two custom containers and the puller: [c2, c1, mm, puller]", () => {
    const runtime = customWithPuller();
    runtime.spec = {
      ...runtime.spec,
      containers: [
        { name: "c1", image: "one" },
        { name: "c2", image: "two" },
      ],
    };
    const deployment = render(runtime, context({ config: configFrom("restProxy: {enabled: false}") }));
    expect(containerNames(deployment)).toEqual(["c2", "c1", "mm", "puller"]);
  });

  it("a repeated container name replaces the earlier container in its place", () => {
    const runtime = customWithoutPuller();
    runtime.spec = {
      ...runtime.spec,
      containers: [
        { name: "a", image: "first" },
        { name: "b", image: "b" },
        { name: "a", image: "second" },
      ],
    };
    const deployment = render(runtime, context({ config: configFrom("restProxy: {enabled: false}") }));
    expect(containerNames(deployment)).toEqual(["b", "a", "mm"]);
    expect(container(deployment, "a").image).toBe("second");
  });
});

describe("mm env", () => {
  it("has upstream's order for a built-in runtime with the defaults", () => {
    const env = container(render(mlserver()), "mm").env ?? [];
    expect(env.map((v) => v.name)).toEqual([
      "MM_SERVICE_NAME",
      "MM_SVC_GRPC_PORT",
      "WKUBE_POD_NAME",
      "WKUBE_POD_IPADDR",
      "MM_LOCATION",
      "KV_STORE",
      "MM_METRICS",
      "SHUTDOWN_TIMEOUT_MS",
      "INTERNAL_SERVING_GRPC_PORT",
      "INTERNAL_GRPC_PORT",
      "MM_SVC_GRPC_MAX_MSG_SIZE",
      "MM_KVSTORE_PREFIX",
      "MM_DEFAULT_VMODEL_OWNER",
      "MM_LABELS",
      "MM_TYPE_CONSTRAINTS_PATH",
      "MM_DATAPLANE_CONFIG_PATH",
    ]);
    expect(envOf(render(mlserver()), "mm")).toMatchObject({
      MM_SERVICE_NAME: "modelmesh-serving",
      MM_SVC_GRPC_PORT: "8033",
      KV_STORE: "etcd:/opt/kserve/mmesh/etcd/etcd_connection",
      MM_METRICS: "prometheus:port=2112;scheme=https",
      SHUTDOWN_TIMEOUT_MS: "90000",
      INTERNAL_SERVING_GRPC_PORT: "8001",
      INTERNAL_GRPC_PORT: "8085",
      MM_SVC_GRPC_MAX_MSG_SIZE: "16777216",
      MM_KVSTORE_PREFIX: "mm",
      MM_DEFAULT_VMODEL_OWNER: "ksp",
      MM_LABELS:
        "mt:lightgbm,mt:lightgbm:3,mt:sklearn,mt:sklearn:0,mt:xgboost,mt:xgboost:1,pv:grpc-v2,pv:v2,rt:mlserver-1.x",
    });
  });

  it("has every optional variable in order, with TLS and client auth last", () => {
    const config = configFrom(
      "enableAccessLogging: true\npayloadProcessors: [a, b]\ntls: {secretName: s, clientAuth: require}\n" +
        "internalModelMeshEnvVars: [{name: EXTRA, value: '1'}]",
    );
    const env =
      container(render(customWithPuller(), context({ config, tlsSecretHasCaCrt: true })), "mm").env ?? [];
    expect(env.map((v) => v.name).slice(8)).toEqual([
      "EXTRA",
      "INTERNAL_SERVING_GRPC_PORT",
      "INTERNAL_GRPC_PORT",
      "MM_LOG_EACH_INVOKE",
      "MM_SVC_GRPC_MAX_MSG_SIZE",
      "MM_KVSTORE_PREFIX",
      "MM_DEFAULT_VMODEL_OWNER",
      "MM_PAYLOAD_PROCESSORS",
      "MM_LABELS",
      "MM_TYPE_CONSTRAINTS_PATH",
      "MM_DATAPLANE_CONFIG_PATH",
      "MM_TLS_KEY_CERT_PATH",
      "MM_TLS_PRIVATE_KEY_PATH",
      "MM_TLS_CLIENT_AUTH",
      "MM_TLS_TRUST_CERT_PATH",
    ]);
    expect(Object.fromEntries(env.map((v) => [v.name, v.value]))).toMatchObject({
      INTERNAL_GRPC_PORT: "8086",
      MM_PAYLOAD_PROCESSORS: "a b",
      MM_TLS_TRUST_CERT_PATH: "/opt/kserve/mmesh/tls/tls.crt,/opt/kserve/mmesh/tls/ca.crt",
    });
  });

  it("lets internalModelMeshEnvVars override the first block in place but not the controller's variables", () => {
    const config = configFrom(
      "internalModelMeshEnvVars: [{name: SHUTDOWN_TIMEOUT_MS, value: '5'}, {name: KV_STORE, value: x}, " +
        "{name: MM_LABELS, value: mine}, {name: MM_KVSTORE_PREFIX, value: other}]",
    );
    const env = container(render(mlserver(), context({ config })), "mm").env ?? [];
    const names = env.map((v) => v.name);
    expect(names.indexOf("SHUTDOWN_TIMEOUT_MS")).toBe(7);
    expect(names.indexOf("KV_STORE")).toBe(5);
    expect(names.indexOf("MM_LABELS")).toBe(8);
    expect(names.filter((name) => name === "MM_LABELS")).toHaveLength(1);
    expect(envOf(render(mlserver(), context({ config })), "mm")).toMatchObject({
      SHUTDOWN_TIMEOUT_MS: "5",
      KV_STORE: "etcd:/opt/kserve/mmesh/etcd/etcd_connection",
      MM_KVSTORE_PREFIX: "mm",
      MM_LABELS: expect.stringContaining("rt:mlserver-1.x"),
    });
  });

  it("says metrics are disabled and leaves out the message size when it is not positive", () => {
    const config = configFrom("metrics: {enabled: false}\ngrpcMaxMessageSizeBytes: 0");
    const env = envOf(render(mlserver(), context({ config })), "mm");
    expect(env.MM_METRICS).toBe("disabled");
    expect(env).not.toHaveProperty("MM_SVC_GRPC_MAX_MSG_SIZE");
  });

  it("uses socket paths for unix endpoints", () => {
    const runtime = unixSocket();
    runtime.spec = { ...runtime.spec, storageHelper: { disabled: true } };
    expect(envOf(render(runtime), "mm")).toMatchObject({
      INTERNAL_SERVING_GRPC_SOCKET_PATH: "/var/run/mmesh/inference.sock",
      INTERNAL_GRPC_SOCKET_PATH: "/var/run/mmesh/management.sock",
    });
  });
});

describe("built-in adapter env", () => {
  it("has upstream's order and values", () => {
    const env = container(
      render(input(loadBuiltInRuntime("triton-2.x"), "ClusterServingRuntime")),
      "triton-adapter",
    ).env;
    expect(env).toEqual([
      { name: "ADAPTER_PORT", value: "8085" },
      { name: "RUNTIME_PORT", value: "8001" },
      { name: "RUNTIME_DATA_ENDPOINT", value: "port:8001" },
      {
        name: "CONTAINER_MEM_REQ_BYTES",
        valueFrom: { resourceFieldRef: { containerName: "triton", resource: "requests.memory" } },
      },
      { name: "MEM_BUFFER_BYTES", value: "134217728" },
      { name: "LOADTIME_TIMEOUT", value: "90000" },
      { name: "USE_EMBEDDED_PULLER", value: "true" },
      { name: "RUNTIME_VERSION", value: "23.04-py3" },
      { name: "LOADING_CONCURRENCY", value: "2" },
    ]);
  });

  it("replaces adapter env vars in place and appends new ones; the version ignores a registry port", () => {
    const env = envOf(render(everything()), "mlserver-adapter");
    expect(Object.keys(env)).toEqual([
      "ADAPTER_PORT",
      "RUNTIME_PORT",
      "RUNTIME_DATA_ENDPOINT",
      "CONTAINER_MEM_REQ_BYTES",
      "MEM_BUFFER_BYTES",
      "LOADTIME_TIMEOUT",
      "USE_EMBEDDED_PULLER",
      "RUNTIME_VERSION",
      "LOADING_CONCURRENCY",
      "LIMIT_PER_MODEL_CONCURRENCY",
      "EXTRA_ADAPTER_SETTING",
    ]);
    expect(env).toMatchObject({
      LOADTIME_TIMEOUT: "120000",
      RUNTIME_VERSION: "1.3.2",
      LIMIT_PER_MODEL_CONCURRENCY: "8",
    });
  });

  it("defaults the data endpoint to the management port", () => {
    const runtime = mlserver();
    const { grpcDataEndpoint: _dropped, ...spec } = runtime.spec;
    expect(envOf(render({ ...runtime, spec }), "mlserver-adapter").RUNTIME_DATA_ENDPOINT).toBe("port:8001");
  });
});

describe("pod metadata and spec", () => {
  const deployment = () =>
    render(
      everything(),
      context({
        config: configFrom(
          "imagePullSecrets: [{name: shared-registry}, {name: controller-registry}]\n" +
            "runtimePodLabels: {team: from-config}\nruntimePodAnnotations: {sidecar.istio.io/inject: 'true', a: b}",
        ),
      }),
    );

  it("merges pod labels: template, then config, then the runtime (which may even override `name`)", () => {
    expect(deployment().spec?.template.metadata?.labels).toEqual({
      "modelmesh-service": "modelmesh-serving",
      "app.kubernetes.io/instance": "modelmesh-controller",
      "app.kubernetes.io/managed-by": "modelmesh-controller",
      "app.kubernetes.io/name": "modelmesh-controller",
      name: "overridden-by-runtime",
      team: "b",
    });
    expect(deployment().spec?.selector.matchLabels).toEqual({
      "modelmesh-service": "modelmesh-serving",
      name: "modelmesh-serving-everything",
    });
  });

  it("merges pod annotations: metrics, then config, then the runtime", () => {
    expect(deployment().spec?.template.metadata?.annotations).toEqual({
      "prometheus.io/path": "/metrics",
      "prometheus.io/port": "2112",
      "prometheus.io/scheme": "https",
      "prometheus.io/scrape": "false",
      "sidecar.istio.io/inject": "false",
      a: "b",
    });
  });

  it("lists config pull secrets first, then the runtime's, each name once", () => {
    expect(deployment().spec?.template.spec?.imagePullSecrets).toEqual([
      { name: "shared-registry" },
      { name: "controller-registry" },
      { name: "runtime-registry" },
    ]);
  });

  it("orders volumes: runtime, models-dir, socket, storage-config, PVCs, tc-config, etcd, tls", () => {
    const runtime = unixSocket();
    const ctx = context({
      config: configFrom("tls: {secretName: mm-tls}"),
      pvcNames: ["zeta", "alpha", "zeta"],
    });
    runtime.spec = { ...runtime.spec, volumes: [{ name: "own", emptyDir: {} }] };
    const volumes = render(runtime, ctx).spec?.template.spec?.volumes ?? [];
    expect(volumes.map((v) => v.name)).toEqual([
      "own",
      "models-dir",
      "domain-socket",
      "storage-config",
      "alpha",
      "zeta",
      "tc-config",
      "etcd-config",
      "tls-certs",
    ]);
    expect(volumes[1]).toEqual({ name: "models-dir", emptyDir: { sizeLimit: "4608Mi" } });
  });

  it("has no storage-config volume without adapter or puller", () => {
    const volumes = render(customWithoutPuller()).spec?.template.spec?.volumes ?? [];
    expect(volumes.map((v) => v.name)).toEqual(["models-dir", "tc-config", "etcd-config"]);
  });

  it("leaves replicas out when the context has none, so another owner can scale", () => {
    expect(render(mlserver(), context({ replicas: undefined })).spec).not.toHaveProperty("replicas");
    expect(render(mlserver(), context({ replicas: 0 })).spec?.replicas).toBe(0);
  });

  it("owns the Deployment by the runtime", () => {
    expect(render(mlserver()).metadata?.ownerReferences).toEqual([
      {
        apiVersion: "serving.kserve.io/v1alpha1",
        kind: "ClusterServingRuntime",
        name: "mlserver-1.x",
        uid: "6d0c9a52-3f7e-4b8e-9a55-1f0e2d3c4b5a",
        controller: true,
        blockOwnerDeletion: true,
      },
    ]);
  });

  it("does not change its inputs", () => {
    const runtime = everything();
    const ctx = context({ pvcNames: ["b", "a"] });
    const before = structuredClone({ runtime, ctx });
    render(runtime, ctx);
    expect({ runtime, ctx }).toEqual(before);
  });

  it("mounts the socket in mm only when the data endpoint decides so", () => {
    const runtime = customWithoutPuller();
    runtime.spec = { ...runtime.spec, grpcEndpoint: "unix:/tmp/mm/grpc.sock" };
    const mounts = (container(render(runtime), "mm").volumeMounts ?? []).map((m) => m.name);
    expect(mounts).toEqual(["tc-config", "etcd-config"]);
    expect((container(render(runtime), "modelserver").volumeMounts ?? []).map((m) => m.name)).toContain(
      "domain-socket",
    );
  });
});

describe("errors instead of crashes", () => {
  it.each([
    [
      "an endpoint of unknown form",
      { grpcEndpoint: "tcp:8001" },
      'Invalid endpoint "tcp:8001": expected "port:<number>" or "unix:<path>"',
    ],
    [
      "sockets in two directories",
      { grpcEndpoint: "unix:/a/m.sock", grpcDataEndpoint: "unix:/b/d.sock" },
      "Only one unix domain socket path is allowed. Found [unix:/a/m.sock unix:/b/d.sock]",
    ],
    [
      "no grpcEndpoint for the puller",
      { grpcEndpoint: undefined },
      'spec.grpcEndpoint ("port:<number>" or "unix:<path>") is required: the puller forwards model loads to it',
    ],
    [
      "no grpcEndpoint and no puller",
      { grpcEndpoint: undefined, storageHelper: { disabled: true } },
      'spec.grpcEndpoint ("port:<number>" or "unix:<path>") is required when the runtime does not use the puller: ' +
        "model-mesh must know where to reach the model server",
    ],
    [
      "an unparsable memory limit",
      { containers: [{ name: "c", image: "i", resources: { limits: { memory: "lots" } } }] },
      'container c: cannot parse resources.limits.memory "lots": ' +
        "quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'",
    ],
  ])("%s", (_, specChanges, message) => {
    const runtime = customWithPuller();
    runtime.spec = { ...runtime.spec, ...specChanges };
    expect(errorOf(runtime)).toBe(message);
  });

  it("a built-in adapter with a unix grpcEndpoint", () => {
    const runtime = mlserver();
    runtime.spec = { ...runtime.spec, grpcEndpoint: "unix:/tmp/a.sock" };
    expect(errorOf(runtime)).toBe(
      'Built-in adapter grpcEndpoint must be of the form "port:N": unix:/tmp/a.sock',
    );
  });

  it("a built-in adapter without grpcEndpoint", () => {
    const runtime = mlserver();
    const { grpcEndpoint: _dropped, ...spec } = runtime.spec;
    expect(errorOf({ ...runtime, spec })).toMatch(
      /^spec\.grpcEndpoint .* is required when the runtime does not use the puller/,
    );
  });
});
