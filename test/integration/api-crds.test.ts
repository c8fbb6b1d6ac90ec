import type { KubernetesObject } from "@kubernetes/client-node";
import { beforeAll, describe, expect, inject, it } from "vitest";
import {
  INFERENCE_SERVICES,
  PREDICTORS,
  type ResourceType,
  SERVING_RUNTIMES,
} from "../../src/apis/resource-types.js";
import { convertInferenceService } from "../../src/apis/serving/inference-service-conversion.js";
import { INITIAL_PREDICTOR_STATUS, MODEL_STATES } from "../../src/apis/serving/v1alpha1/predictor.js";
import type { ServingRuntime } from "../../src/apis/serving/v1alpha1/serving-runtime.js";
import {
  type InferenceService,
  ISVC_FAILURE_REASONS,
  ISVC_TRANSITION_STATUSES,
} from "../../src/apis/serving/v1beta1/inference-service.js";
import { resourcePath } from "../../src/controller-runtime/kube-client.js";
import { kustomize } from "../support/install/install.js";
import { loadKubeConfig, testClient } from "../support/kube/clients.js";
import { createObject, installCrds, readYamlDocuments, refusal } from "../support/kube/crds.js";
import { createNamespace } from "../support/kube/namespaces.js";

const client = testClient(loadKubeConfig(inject("kubeconfigPath")));

const BUILT_IN_RUNTIME_FILES = ["mlserver-1.x", "ovms-1.x", "torchserve-0.x", "triton-2.x"].map(
  (name) => `config/runtimes/${name}.yaml`,
);

let namespace: string;
const suffix = Math.random().toString(36).slice(2, 8);

beforeAll(async () => {
  await installCrds(inject("kubeconfigPath"));
  namespace = await createNamespace(client, "api-crds");
});

function inNamespace<T extends KubernetesObject>(object: T): T {
  return { ...object, metadata: { ...object.metadata, namespace } };
}

function nameOf(object: KubernetesObject): string {
  return object.metadata?.name ?? "";
}

describe("the generated CRDs on a real API server", () => {
  it("are structural, established, with the upstream scopes, columns and status subresources (none for runtimes)", async () => {
    const crds = await installCrds(inject("kubeconfigPath"));
    const summary = Object.fromEntries(
      crds.map((crd) => [
        crd.metadata?.name,
        {
          scope: crd.spec.scope,
          columns: crd.spec.versions[0]?.additionalPrinterColumns?.map((column) => column.name),
          status: crd.spec.versions[0]?.subresources?.status !== undefined,
          problems: crd.status?.conditions?.filter((c) => c.type === "NonStructuralSchema").length,
        },
      ]),
    );
    const runtimeColumns = ["Disabled", "ModelType", "Containers", "Age"];
    expect(summary).toStrictEqual({
      "clusterservingruntimes.serving.kserve.io": {
        scope: "Cluster",
        columns: runtimeColumns,
        status: false,
        problems: 0,
      },
      "servingruntimes.serving.kserve.io": {
        scope: "Namespaced",
        columns: runtimeColumns,
        status: false,
        problems: 0,
      },
      "predictors.serving.kserve.io": {
        scope: "Namespaced",
        columns: ["Type", "Available", "ActiveModel", "TargetModel", "Transition", "Age"],
        status: true,
        problems: 0,
      },
      "inferenceservices.serving.kserve.io": {
        scope: "Namespaced",
        columns: ["URL", "Ready", "Prev", "Latest", "PrevRolledoutRevision", "LatestReadyRevision", "Age"],
        status: true,
        problems: 0,
      },
    });
  });

  it("are what the kustomize install renders: config/crd all four, config/crd/with-kserve the Predictor CRD", async () => {
    const names = async (dir: string) =>
      (await kustomize(dir)).map((object) => `${object.kind}/${object.metadata.name}`).sort();
    expect(await names("crd")).toStrictEqual([
      "CustomResourceDefinition/clusterservingruntimes.serving.kserve.io",
      "CustomResourceDefinition/inferenceservices.serving.kserve.io",
      "CustomResourceDefinition/predictors.serving.kserve.io",
      "CustomResourceDefinition/servingruntimes.serving.kserve.io",
    ]);
    expect(await names("crd/with-kserve")).toStrictEqual([
      "CustomResourceDefinition/predictors.serving.kserve.io",
    ]);
    const fromCrdsDir = readYamlDocuments("crds/serving.kserve.io_predictors.yaml")[0];
    const fromKustomize = (await kustomize("crd/with-kserve"))[0];
    expect(fromKustomize).toStrictEqual(fromCrdsDir);
  });
});

describe("valid resources apply unchanged", () => {
  const predictors = readYamlDocuments("test/fixtures/api/valid/predictors.yaml");

  it.each(predictors.map((p) => [nameOf(p), p] as const))(
    "Predictor %s, with the status defaults",
    async (_, p) => {
      const created = await createObject(client, inNamespace(p));
      expect((created as unknown as { spec: unknown }).spec).toStrictEqual(
        (p as unknown as { spec: unknown }).spec,
      );
      expect((created as unknown as { status: unknown }).status).toStrictEqual(INITIAL_PREDICTOR_STATUS);
    },
  );

  it("has one Predictor per model format of upstream's examples", () => {
    const formats = predictors.map(
      (p) => (p as unknown as { spec: { modelType: { name: string } } }).spec.modelType.name,
    );
    expect(formats.sort()).toStrictEqual(
      ["keras", "lightgbm", "onnx", "openvino_ir", "pytorch", "sklearn", "tensorflow", "xgboost"].sort(),
    );
  });

  const inferenceServices = readYamlDocuments("test/fixtures/api/valid/inferenceservices.yaml");

  it.each(inferenceServices.map((i) => [nameOf(i), i] as const))("InferenceService %s", async (_, isvc) => {
    const created = (await createObject(client, inNamespace(isvc))) as unknown as InferenceService;
    // Nothing is pruned, KServe-only fields included.
    expect(created.spec).toStrictEqual((isvc as unknown as InferenceService).spec);
    if (created.metadata.annotations?.["serving.kserve.io/deploymentMode"] === "ModelMesh") {
      expect(convertInferenceService(created)).toMatchObject({ ok: true });
    }
  });

  const runtimes = readYamlDocuments("test/fixtures/api/valid/servingruntimes.yaml");

  it.each(runtimes.map((r) => [nameOf(r), r] as const))("custom ServingRuntime %s", async (_, runtime) => {
    const created = (await createObject(client, inNamespace(runtime))) as unknown as ServingRuntime;
    expect(created.spec.containers.map((c) => c.name)).toStrictEqual(
      (runtime as unknown as ServingRuntime).spec.containers.map((c) => c.name),
    );
    expect(created.spec.supportedModelFormats).toStrictEqual(
      (runtime as unknown as ServingRuntime).spec.supportedModelFormats,
    );
  });

  it("keeps pod-spec details Kubernetes accepts (an empty toleration effect, env sources, volume sources)", async () => {
    const live = (await client.get(SERVING_RUNTIMES, "pullerless-runtime", namespace)) as ServingRuntime;
    expect(live.spec.tolerations).toContainEqual({ operator: "Exists", effect: "" });
    expect(live.spec.volumes?.[0]).toStrictEqual({
      name: "scratch",
      emptyDir: { medium: "Memory", sizeLimit: "1Gi" },
    });
    expect(live.spec.containers[0]?.env?.[1]?.valueFrom).toStrictEqual({
      resourceFieldRef: { containerName: "modelserver", resource: "requests.memory" },
    });
  });

  it("defaults container port protocols like the Pod API does", async () => {
    const live = (await client.get(SERVING_RUNTIMES, "custom-runtime-1.x", namespace)) as ServingRuntime;
    expect(live.spec.containers[0]?.ports).toStrictEqual([
      { containerPort: 9000, name: "my-port", protocol: "TCP" },
    ]);
  });

  it.each(BUILT_IN_RUNTIME_FILES)(
    "built-in runtime %s as a ClusterServingRuntime and as a ServingRuntime",
    async (file) => {
      const [runtime] = readYamlDocuments(file);
      if (runtime === undefined) throw new Error(`${file} is empty`);
      const clusterWide = {
        ...runtime,
        metadata: { ...runtime.metadata, name: `${nameOf(runtime)}-${suffix}` },
      };
      const created = (await createObject(client, clusterWide)) as unknown as ServingRuntime;
      expect(created.spec).toStrictEqual((runtime as unknown as ServingRuntime).spec);
      const namespaced = inNamespace({ ...runtime, kind: "ServingRuntime" });
      const createdInNamespace = (await createObject(client, namespaced)) as unknown as ServingRuntime;
      expect(createdInNamespace.spec).toStrictEqual((runtime as unknown as ServingRuntime).spec);
    },
  );
});

describe("status subresources take what the controller writes", () => {
  /**
   * Writes `status` through the object's status subresource; resolves with the status the API server stored.
   */
  const writeStatus = async (type: ResourceType, name: string, status: unknown) => {
    const live = await client.get(type, name, namespace);
    const written = await client.replace<KubernetesObject & { status?: unknown }>(
      type,
      { ...live, status },
      "status",
    );
    return written.status;
  };

  it("Predictor: every status field, kept as written", async () => {
    const status = {
      available: true,
      transitionStatus: "BlockedByFailedLoad",
      activeModelState: "Loaded",
      targetModelState: "FailedToLoad",
      lastFailureInfo: {
        location: "modelmesh-serving-triton-2.x-abc",
        reason: "ModelLoadFailed",
        message: "boom",
        modelId: "example-onnx__ksp-0123456789",
        time: "2026-01-02T03:04:05Z",
      },
      httpEndpoint: "http://modelmesh-serving.ns:8008",
      grpcEndpoint: "grpc://modelmesh-serving.ns:8033",
      totalCopies: 2,
      failedCopies: 1,
    };
    expect(await writeStatus(PREDICTORS, "example-onnx", status)).toStrictEqual(status);
  });

  it("Predictor: an unknown transition status is refused", async () => {
    const refused = await refusal(
      writeStatus(PREDICTORS, "example-keras", { ...INITIAL_PREDICTOR_STATUS, transitionStatus: "Done" }),
    );
    expect(refused.message).toContain('status.transitionStatus: Unsupported value: "Done"');
  });

  it("InferenceService: the ModelMesh status shape (upstream `InferenceServiceRegistry.UpdateStatus`)", async () => {
    const status = {
      modelStatus: {
        transitionStatus: "UpToDate",
        states: { activeModelState: "Loaded", targetModelState: "" },
        copies: { failedCopies: 0, totalCopies: 2 },
        lastFailureInfo: {
          location: "pod-1",
          reason: "RuntimeUnhealthy",
          message: "waiting",
          modelRevisionName: "isvc-model-s3__isvc-656f22f222",
          time: "2026-01-02T03:04:05Z",
        },
      },
      url: "grpc://modelmesh-serving.ns:8033",
      components: {
        predictor: {
          url: "grpc://modelmesh-serving.ns:8033",
          grpcUrl: "grpc://modelmesh-serving.ns:8033",
          restUrl: "http://modelmesh-serving.ns:8008",
        },
      },
      conditions: [
        { type: "PredictorReady", status: "True", lastTransitionTime: "2026-01-02T03:04:05Z" },
        { type: "Ready", status: "True", lastTransitionTime: "2026-01-02T03:04:05Z" },
      ],
      observedGeneration: 1,
    };
    expect(await writeStatus(INFERENCE_SERVICES, "isvc-model-s3", status)).toStrictEqual(status);
  });
});

describe("InferenceService status: everything KServe's controller writes is stored", () => {
  const ISVC = "isvc-kserve-status";
  /** A JSON merge patch of the status subresource; resolves with the stored status. */
  const mergeStatus = async (status: Record<string, unknown>) => {
    const written = await client.mergePatch<KubernetesObject & { status: Record<string, unknown> }>(
      INFERENCE_SERVICES,
      { namespace, name: ISVC, subresource: "status" },
      { status },
    );
    return written.status;
  };
  /** The same; resolves with the stored `status.modelStatus`. */
  const patchStatus = async (status: Record<string, unknown>) => (await mergeStatus(status)).modelStatus;

  beforeAll(async () => {
    await createObject(
      client,
      inNamespace(
        inferenceService(ISVC, {
          predictor: { model: { modelFormat: { name: "sklearn" }, storageUri: "s3://b/p" } },
        }),
      ),
    );
  });

  it.each(ISVC_TRANSITION_STATUSES)("transitionStatus %j", async (transitionStatus) => {
    const modelStatus = { transitionStatus, states: { activeModelState: "Pending", targetModelState: "" } };
    expect(await patchStatus({ modelStatus })).toStrictEqual(modelStatus);
  });

  it.each(MODEL_STATES)("activeModelState and targetModelState %j", async (state) => {
    const modelStatus = {
      transitionStatus: "InProgress",
      states: { activeModelState: state, targetModelState: state },
    };
    expect(await patchStatus({ modelStatus })).toStrictEqual(modelStatus);
  });

  it.each(ISVC_FAILURE_REASONS)("lastFailureInfo.reason %s, with KServe's exitCode", async (reason) => {
    const lastFailureInfo = {
      location: "pod-1",
      reason,
      message: "m",
      modelRevisionName: "isvc__isvc-0123456789",
      time: "2026-01-02T03:04:05Z",
      exitCode: 137,
    };
    const stored = (await patchStatus({ modelStatus: { lastFailureInfo } })) as { lastFailureInfo: unknown };
    expect(stored.lastFailureInfo).toStrictEqual(lastFailureInfo);
  });

  it("a partial modelStatus gets KServe's defaults", async () => {
    await patchStatus({ modelStatus: null });
    expect(await patchStatus({ modelStatus: {} })).toStrictEqual({ transitionStatus: "UpToDate" });
    expect(
      await patchStatus({
        modelStatus: { states: { targetModelState: "Loading" }, copies: { totalCopies: 2 } },
      }),
    ).toStrictEqual({
      transitionStatus: "UpToDate",
      states: { activeModelState: "Pending", targetModelState: "Loading" },
      copies: { failedCopies: 0, totalCopies: 2 },
    });
    await patchStatus({ modelStatus: null });
    expect(await patchStatus({ modelStatus: { states: {}, copies: {} } })).toStrictEqual({
      transitionStatus: "UpToDate",
      states: { activeModelState: "Pending", targetModelState: "" },
      copies: { failedCopies: 0 },
    });
  });

  it("KServe's other status fields are kept", async () => {
    const status = {
      deploymentMode: "ModelMesh",
      servingRuntimeName: "triton-2.x",
      address: { url: "grpc://x", CACerts: "pem", audience: "a", name: "n" },
    };
    expect(await mergeStatus(status)).toMatchObject(status);
  });
});

describe("objects upstream's CRDs stored are stored", () => {
  it("a runtime that sets one env var twice and mounts two volumes at one path (atomic lists, decision 0185)", async () => {
    const containers = [
      {
        name: "server",
        image: "example/server:1",
        env: [
          { name: "A", value: "1" },
          { name: "A", value: "2" },
        ],
        volumeMounts: [
          { name: "one", mountPath: "/models" },
          { name: "two", mountPath: "/models" },
        ],
        volumeDevices: [
          { name: "one", devicePath: "/dev/x" },
          { name: "two", devicePath: "/dev/x" },
        ],
      },
    ];
    const created = (await createObject(
      client,
      inNamespace(
        servingRuntime("env-twice", { containers, builtInAdapter: { env: [{ name: "B" }, { name: "B" }] } }),
      ),
    )) as unknown as ServingRuntime;
    expect(created.spec.containers).toStrictEqual(containers);
    expect(created.spec.builtInAdapter?.env).toStrictEqual([{ name: "B" }, { name: "B" }]);
  });

  it("an InferenceService model without modelFormat", async () => {
    const spec = { predictor: { model: { runtime: "triton-2.x", storageUri: "s3://b/p" } } };
    const created = (await createObject(
      client,
      inNamespace(inferenceService("no-model-format", spec)),
    )) as unknown as InferenceService;
    expect(created.spec).toStrictEqual(spec);
    expect(convertInferenceService(created)).toMatchObject({
      ok: true,
      value: { modelType: { name: "" }, runtime: { name: "triton-2.x" } },
    });
  });

  it("KServe 0.17's runtime fields schedulerName and resourceClaims, on ServingRuntime and ClusterServingRuntime", async () => {
    const spec = {
      containers: [container],
      schedulerName: "volcano",
      resourceClaims: [{ name: "gpu", resourceClaimTemplateName: "one-gpu" }],
      workerSpec: {
        schedulerName: "volcano",
        resourceClaims: [{ name: "gpu", resourceClaimName: "shared" }],
      },
    };
    for (const runtime of [
      inNamespace(servingRuntime("kserve-017-fields", spec)),
      servingRuntime(`kserve-017-fields-${suffix}`, spec, "ClusterServingRuntime"),
    ]) {
      const created = (await createObject(client, runtime)) as unknown as ServingRuntime;
      expect(created.spec).toStrictEqual(spec);
    }
  });

  it("a runtime's status is written with the object, as upstream's (no status subresource)", async () => {
    const created = (await createObject(client, {
      ...inNamespace(servingRuntime("with-status", { containers: [container] })),
      status: {},
    })) as unknown as ServingRuntime & { status?: unknown };
    expect(created.status).toStrictEqual({});
    const refused = await refusal(
      client.request({
        method: "GET",
        path: resourcePath(SERVING_RUNTIMES, { namespace, name: "with-status", subresource: "status" }),
      }),
    );
    expect(refused.code).toBe(404);
  });
});

const predictor = (name: string, spec: Record<string, unknown>) => ({
  apiVersion: "serving.kserve.io/v1alpha1",
  kind: "Predictor",
  metadata: { name },
  spec,
});
const servingRuntime = (name: string, spec: Record<string, unknown>, kind = "ServingRuntime") => ({
  apiVersion: "serving.kserve.io/v1alpha1",
  kind,
  metadata: { name },
  spec,
});
const inferenceService = (name: string, spec: Record<string, unknown>) => ({
  apiVersion: "serving.kserve.io/v1beta1",
  kind: "InferenceService",
  metadata: { name, annotations: { "serving.kserve.io/deploymentMode": "ModelMesh" } },
  spec,
});
const container = { name: "server", image: "example/server:1" };

describe("invalid resources are refused by the API server with a readable message", () => {
  it.each([
    {
      object: predictor("no-model-type", { path: "x" }),
      message: "spec.modelType: Required value",
    },
    {
      object: predictor("no-model-name", { modelType: { version: "1" } }),
      message: "spec.modelType.name: Required value",
    },
    {
      object: predictor("bad-gpu", { modelType: { name: "sklearn" }, gpu: "sometimes" }),
      message: 'spec.gpu: Unsupported value: "sometimes": supported values: "required", "preferred"',
    },
    {
      object: predictor("runtime-without-name", { modelType: { name: "sklearn" }, runtime: {} }),
      message: "spec.runtime.name: Required value",
    },
    {
      object: predictor("s3-without-key", {
        modelType: { name: "sklearn" },
        storage: { s3: { bucket: "b" } },
      }),
      message: "spec.storage.s3.secretKey: Required value",
    },
    {
      object: servingRuntime("no-containers", { multiModel: true }),
      message: "spec.containers: Required value",
    },
    {
      object: servingRuntime("priority-zero", {
        containers: [container],
        supportedModelFormats: [{ name: "x", priority: 0 }],
      }),
      message:
        "spec.supportedModelFormats[0].priority: Invalid value: 0: spec.supportedModelFormats[0].priority in body should be greater than or equal to 1",
    },
    {
      object: servingRuntime("format-without-name", {
        containers: [container],
        supportedModelFormats: [{ version: "1" }],
      }),
      message: "spec.supportedModelFormats[0].name: Required value",
    },
    {
      object: servingRuntime(
        `csr-priority-zero-${suffix}`,
        { containers: [container], supportedModelFormats: [{ name: "x", priority: 0 }] },
        "ClusterServingRuntime",
      ),
      message: "should be greater than or equal to 1",
    },
    {
      object: servingRuntime("container-without-name", { containers: [{ image: "x" }] }),
      message: "spec.containers[0].name: Required value",
    },
    {
      object: servingRuntime("port-as-text", {
        containers: [{ ...container, ports: [{ containerPort: "http" }] }],
      }),
      message:
        'spec.containers[0].ports[0].containerPort: Invalid value: "string": spec.containers[0].ports[0].containerPort in body must be of type integer: "string"',
    },
    {
      object: servingRuntime("duplicate-port", {
        containers: [{ ...container, ports: [{ containerPort: 8080 }, { containerPort: 8080 }] }],
      }),
      message: 'spec.containers[0].ports[1]: Duplicate value: {"containerPort":8080,"protocol":"TCP"}',
    },
    {
      object: servingRuntime("bad-quantity", {
        containers: [{ ...container, resources: { limits: { memory: "lots" } } }],
      }),
      message: "spec.containers[0].resources.limits.memory",
    },
    {
      object: servingRuntime("volume-without-name", { containers: [container], volumes: [{ emptyDir: {} }] }),
      message: "spec.volumes[0].name: Required value",
    },
    {
      object: servingRuntime("too-many-replicas", { containers: [container], replicas: 70000 }),
      message:
        "spec.replicas: Invalid value: 70000: spec.replicas in body should be less than or equal to 65535",
    },
    {
      object: inferenceService("no-predictor", {}),
      message: "spec.predictor: Required value",
    },
    {
      object: inferenceService("storage-uri-not-text", { predictor: { sklearn: { storageUri: 42 } } }),
      message:
        'spec.predictor.sklearn.storageUri: Invalid value: "integer": spec.predictor.sklearn.storageUri in body must be of type string',
    },
  ])("$object.kind $object.metadata.name: $message", async ({ object, message }) => {
    const target = object.kind === "ClusterServingRuntime" ? object : inNamespace(object);
    const refused = await refusal(createObject(client, target));
    expect(refused.code).toBe(422);
    expect(refused.message).toContain(message);
  });
});
