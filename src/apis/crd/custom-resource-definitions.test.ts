import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import {
  buildCustomResourceDefinition,
  CRD_SOURCES,
  crdFileName,
  renderGeneratedCrdFiles,
} from "./custom-resource-definitions.js";
import { type JsonSchema, loadKubernetesOpenApi } from "./kubernetes-definitions.js";

const REPO_ROOT = path.resolve(import.meta.dirname, "../../..");
const openapi = loadKubernetesOpenApi(REPO_ROOT);

function crd(kind: string) {
  const source = CRD_SOURCES.find((candidate) => candidate.kind === kind);
  if (source === undefined) throw new Error(kind);
  return buildCustomResourceDefinition(source, openapi) as unknown as {
    spec: { scope: string; versions: { schema: { openAPIV3Schema: JsonSchema } }[] };
  };
}

const schemaOf = (kind: string) => crd(kind).spec.versions[0]?.schema.openAPIV3Schema as JsonSchema;

/** Every schema node with its JSON path, for structural checks. */
function* nodes(node: JsonSchema, at = "$"): Generator<[string, JsonSchema]> {
  yield [at, node];
  for (const [name, child] of Object.entries((node.properties as Record<string, JsonSchema>) ?? {})) {
    yield* nodes(child, `${at}.${name}`);
  }
  if (node.items) yield* nodes(node.items as JsonSchema, `${at}[]`);
  if (typeof node.additionalProperties === "object")
    yield* nodes(node.additionalProperties as JsonSchema, `${at}{}`);
}

const get = (schema: JsonSchema, ...names: string[]) =>
  names.reduce<JsonSchema>((node, name) => {
    if (name === "[]") return node.items as JsonSchema;
    return (node.properties as Record<string, JsonSchema>)[name] as JsonSchema;
  }, schema);

describe("generated CRDs", () => {
  it("match the committed files in crds/ and config/crd/ (npm run generate:crds)", () => {
    for (const [file, text] of renderGeneratedCrdFiles(openapi)) {
      const committed = path.join(REPO_ROOT, file);
      expect(existsSync(committed) && readFileSync(committed, "utf8") === text, file).toBe(true);
    }
  });

  it("put nothing but the CRDs in crds/, and split config/crd/ so that with-kserve/ is the Predictor CRD", () => {
    const files = [...renderGeneratedCrdFiles(openapi).keys()];
    expect(files.filter((file) => file.startsWith("crds/")).sort()).toStrictEqual(
      CRD_SOURCES.map((source) => `crds/${crdFileName(source)}`).sort(),
    );
    expect(files.filter((file) => file.startsWith("config/crd/with-kserve/")).sort()).toStrictEqual([
      "config/crd/with-kserve/kustomization.yaml",
      "config/crd/with-kserve/serving.kserve.io_predictors.yaml",
    ]);
  });

  it.each(CRD_SOURCES.map((source) => source.kind))(
    "%s has a structural schema without references",
    (kind) => {
      for (const [at, node] of nodes(schemaOf(kind))) {
        expect(node.$ref, at).toBeUndefined();
        expect(node.oneOf, at).toBeUndefined();
        const typed =
          typeof node.type === "string" ||
          node["x-kubernetes-int-or-string"] === true ||
          node["x-kubernetes-preserve-unknown-fields"] === true;
        expect(typed, at).toBe(true);
      }
    },
  );

  it("scopes ClusterServingRuntime to the cluster and the others to namespaces", () => {
    expect(Object.fromEntries(CRD_SOURCES.map((s) => [s.kind, crd(s.kind).spec.scope]))).toStrictEqual({
      ClusterServingRuntime: "Cluster",
      InferenceService: "Namespaced",
      Predictor: "Namespaced",
      ServingRuntime: "Namespaced",
    });
    expect(CRD_SOURCES.map(crdFileName)).toContain("serving.kserve.io_clusterservingruntimes.yaml");
  });

  it("requires containers and format names, and bounds priority at 1", () => {
    const spec = get(schemaOf("ServingRuntime"), "spec");
    expect(spec.required).toContain("containers");
    const format = get(spec, "supportedModelFormats", "[]");
    expect(format.required).toStrictEqual(["name"]);
    expect(get(format, "priority")).toMatchObject({ type: "integer", format: "int32", minimum: 1 });
  });

  it("embeds Kubernetes' Container with upstream's list-map keys and its quantities", () => {
    const container = get(schemaOf("ServingRuntime"), "spec", "containers", "[]");
    expect(container.required).toStrictEqual(["name"]);
    expect(get(container, "ports")).toMatchObject({
      "x-kubernetes-list-type": "map",
      "x-kubernetes-list-map-keys": ["containerPort", "protocol"],
    });
    expect(get(container, "resources", "claims")).toMatchObject({
      "x-kubernetes-list-type": "map",
      "x-kubernetes-list-map-keys": ["name"],
    });
    for (const list of ["env", "volumeMounts", "volumeDevices"]) {
      expect(get(container, list)["x-kubernetes-list-type"], list).toBe("atomic");
      expect(get(container, list)["x-kubernetes-list-map-keys"], list).toBeUndefined();
    }
    expect(get(container, "ports", "[]", "protocol")).toStrictEqual({ type: "string", default: "TCP" });
    const memory = (get(container, "resources", "limits").additionalProperties ?? {}) as JsonSchema;
    expect(memory["x-kubernetes-int-or-string"]).toBe(true);
    expect(get(container, "imagePullPolicy").enum).toBeUndefined();
  });

  it("defaults and requires the Predictor status like upstream", () => {
    const status = get(schemaOf("Predictor"), "status");
    expect(status.default).toStrictEqual({
      available: false,
      transitionStatus: "UpToDate",
      activeModelState: "Pending",
      targetModelState: "",
      totalCopies: 0,
      failedCopies: 0,
    });
    expect(status.required).toStrictEqual([
      "activeModelState",
      "available",
      "failedCopies",
      "targetModelState",
      "totalCopies",
      "transitionStatus",
    ]);
    expect(get(status, "transitionStatus").enum).toStrictEqual([
      "UpToDate",
      "InProgress",
      "BlockedByFailedLoad",
      "InvalidSpec",
    ]);
  });

  it("keeps the parts of an InferenceService ModelMesh does not read", () => {
    const predictor = get(schemaOf("InferenceService"), "spec", "predictor");
    expect(predictor["x-kubernetes-preserve-unknown-fields"]).toBe(true);
    expect(get(predictor, "model").required).toBeUndefined();
    expect(get(schemaOf("InferenceService"), "status")["x-kubernetes-preserve-unknown-fields"]).toBe(true);
  });

  it("gives the InferenceService model status KServe's enums, defaults and required fields", () => {
    const modelStatus = get(schemaOf("InferenceService"), "status", "modelStatus");
    const states = get(modelStatus, "states");
    const modelStates = ["", "Pending", "Standby", "Loading", "Loaded", "FailedToLoad"];
    expect(modelStatus.required).toStrictEqual(["transitionStatus"]);
    expect(get(modelStatus, "transitionStatus")).toStrictEqual({
      type: "string",
      default: "UpToDate",
      enum: ["", "UpToDate", "InProgress", "BlockedByFailedLoad", "InvalidSpec"],
    });
    expect(states.required).toStrictEqual(["activeModelState"]);
    expect(get(states, "activeModelState")).toStrictEqual({
      type: "string",
      default: "Pending",
      enum: modelStates,
    });
    expect(get(states, "targetModelState")).toStrictEqual({ type: "string", default: "", enum: modelStates });
    expect(get(modelStatus, "copies").required).toStrictEqual(["failedCopies"]);
    expect(get(modelStatus, "copies", "failedCopies")).toStrictEqual({ type: "integer", default: 0 });
    expect(get(modelStatus, "lastFailureInfo", "reason").enum).toStrictEqual([
      "ModelLoadFailed",
      "RuntimeUnhealthy",
      "RuntimeDisabled",
      "NoSupportingRuntime",
      "RuntimeNotRecognized",
      "InvalidPredictorSpec",
    ]);
  });

  it("has a status subresource for Predictor and InferenceService only, like upstream and KServe", () => {
    const subresources = Object.fromEntries(
      CRD_SOURCES.map((source) => [
        source.kind,
        (crd(source.kind).spec.versions[0] as unknown as { subresources: unknown }).subresources,
      ]),
    );
    expect(subresources).toStrictEqual({
      ClusterServingRuntime: {},
      InferenceService: { status: {} },
      Predictor: { status: {} },
      ServingRuntime: {},
    });
  });
});
