/**
 * The CustomResourceDefinitions this project ships, generated from the zod schemas (`npm run generate:crds`).
 */
import { stringify } from "yaml";
import type { z } from "zod";
import {
  CLUSTER_SERVING_RUNTIMES,
  INFERENCE_SERVICES,
  PREDICTORS,
  type ResourceType,
  SERVING_RUNTIMES,
} from "../resource-types.js";
import { SERVING_GROUP } from "../serving/group.js";
import { PredictorSchema } from "../serving/v1alpha1/predictor.js";
import { ClusterServingRuntimeSchema, ServingRuntimeSchema } from "../serving/v1alpha1/serving-runtime.js";
import { InferenceServiceSchema } from "../serving/v1beta1/inference-service.js";
import type { JsonSchema, KubernetesOpenApi } from "./kubernetes-definitions.js";
import { crdSchemaFromZod } from "./structural-schema.js";

interface PrinterColumn {
  name: string;
  type: "string" | "boolean" | "integer" | "date";
  jsonPath: string;
  priority?: number;
}

interface CrdSource {
  kind: string;
  plural: string;
  shortNames?: string[];
  scope: "Namespaced" | "Cluster";
  version: string;
  schema: z.ZodType;
  printerColumns: PrinterColumn[];
  /** Upstream's and KServe's runtimes have none: their status is written with the object (and is empty). */
  statusSubresource: boolean;
  /** KServe installs this CRD too; the install next to KServe leaves it to KServe (decision 0010). */
  sharedWithKServe: boolean;
}

const AGE: PrinterColumn = { name: "Age", type: "date", jsonPath: ".metadata.creationTimestamp" };

const RUNTIME_COLUMNS: PrinterColumn[] = [
  { name: "Disabled", type: "boolean", jsonPath: ".spec.disabled" },
  { name: "ModelType", type: "string", jsonPath: ".spec.supportedModelFormats[*].name" },
  { name: "Containers", type: "string", jsonPath: ".spec.containers[*].name" },
  AGE,
];

/** A CRD's kind, plural, scope and version, from the one table of kinds. */
function servedAs(type: ResourceType): Pick<CrdSource, "kind" | "plural" | "scope" | "version"> {
  return {
    kind: type.kind,
    plural: type.plural,
    scope: type.namespaced ? "Namespaced" : "Cluster",
    version: type.apiVersion.split("/")[1] ?? "",
  };
}

/** Every CRD this project ships, in file-name order. */
export const CRD_SOURCES: CrdSource[] = [
  {
    ...servedAs(CLUSTER_SERVING_RUNTIMES),
    schema: ClusterServingRuntimeSchema,
    printerColumns: RUNTIME_COLUMNS,
    statusSubresource: false,
    sharedWithKServe: true,
  },
  {
    ...servedAs(INFERENCE_SERVICES),
    shortNames: ["isvc"],
    schema: InferenceServiceSchema,
    printerColumns: [
      { name: "URL", type: "string", jsonPath: ".status.url" },
      { name: "Ready", type: "string", jsonPath: ".status.conditions[?(@.type=='Ready')].status" },
      {
        name: "Prev",
        type: "integer",
        jsonPath: ".status.components.predictor.traffic[?(@.tag=='prev')].percent",
      },
      {
        name: "Latest",
        type: "integer",
        jsonPath: ".status.components.predictor.traffic[?(@.latestRevision==true)].percent",
      },
      {
        name: "PrevRolledoutRevision",
        type: "string",
        jsonPath: ".status.components.predictor.traffic[?(@.tag=='prev')].revisionName",
      },
      {
        name: "LatestReadyRevision",
        type: "string",
        jsonPath: ".status.components.predictor.traffic[?(@.latestRevision==true)].revisionName",
      },
      AGE,
    ],
    statusSubresource: true,
    sharedWithKServe: true,
  },
  {
    ...servedAs(PREDICTORS),
    schema: PredictorSchema,
    printerColumns: [
      { name: "Type", type: "string", jsonPath: ".spec.modelType.name" },
      { name: "Available", type: "boolean", jsonPath: ".status.available" },
      { name: "ActiveModel", type: "string", jsonPath: ".status.activeModelState" },
      { name: "TargetModel", type: "string", jsonPath: ".status.targetModelState" },
      { name: "Transition", type: "string", jsonPath: ".status.transitionStatus" },
      AGE,
    ],
    statusSubresource: true,
    sharedWithKServe: false,
  },
  {
    ...servedAs(SERVING_RUNTIMES),
    schema: ServingRuntimeSchema,
    printerColumns: RUNTIME_COLUMNS,
    statusSubresource: false,
    sharedWithKServe: true,
  },
];

export type CustomResourceDefinition = JsonSchema & { metadata: { name: string } };

export function crdName(source: Pick<CrdSource, "plural">): string {
  return `${source.plural}.${SERVING_GROUP}`;
}

/** The file name of a CRD, in `crds/` and in the kustomize directories. */
export function crdFileName(source: Pick<CrdSource, "plural">): string {
  return `${SERVING_GROUP}_${source.plural}.yaml`;
}

export function buildCustomResourceDefinition(
  source: CrdSource,
  openapi: KubernetesOpenApi,
): CustomResourceDefinition {
  return {
    apiVersion: "apiextensions.k8s.io/v1",
    kind: "CustomResourceDefinition",
    metadata: { name: crdName(source) },
    spec: {
      group: SERVING_GROUP,
      names: {
        kind: source.kind,
        listKind: `${source.kind}List`,
        plural: source.plural,
        singular: source.kind.toLowerCase(),
        ...(source.shortNames && { shortNames: source.shortNames }),
      },
      scope: source.scope,
      versions: [
        {
          name: source.version,
          served: true,
          storage: true,
          additionalPrinterColumns: source.printerColumns,
          schema: { openAPIV3Schema: crdSchemaFromZod(source.schema, openapi) },
          subresources: source.statusSubresource ? { status: {} } : {},
        },
      ],
    },
  };
}

const GENERATED_HEADER =
  "# Generated by `npm run generate:crds` from the zod schemas in src/apis. Do not edit.\n";

export function renderCrdYaml(crd: CustomResourceDefinition): string {
  return GENERATED_HEADER + stringify(crd, { aliasDuplicateObjects: false, lineWidth: 0 });
}

/** Every generated CRD file, keyed by file name. */
export function renderAllCrds(openapi: KubernetesOpenApi): Map<string, string> {
  return new Map(
    CRD_SOURCES.map((source) => [
      crdFileName(source),
      renderCrdYaml(buildCustomResourceDefinition(source, openapi)),
    ]),
  );
}

/** Nothing but the CRDs: `kubectl apply -f crds/`, the Helm chart, the npm package and the image. */
export const CRDS_DIR = "crds";
/** The kustomize install of all four CRDs: KServe's three here plus `with-kserve/`. */
export const KUSTOMIZE_CRD_DIR = "config/crd";
/** The kustomize install next to KServe: the Predictor CRD alone. */
export const KUSTOMIZE_CRD_WITH_KSERVE_DIR = "config/crd/with-kserve";
/** The directories that hold only generated files. */
export const GENERATED_CRD_DIRS = [CRDS_DIR, KUSTOMIZE_CRD_DIR, KUSTOMIZE_CRD_WITH_KSERVE_DIR] as const;

function kustomization(comment: string, resources: string[]): string {
  return (
    GENERATED_HEADER +
    comment +
    stringify(
      { apiVersion: "kustomize.config.k8s.io/v1beta1", kind: "Kustomization", resources },
      { lineWidth: 0 },
    )
  );
}

/**
 * Every generated file, keyed by its path in the repository. Kustomize reads only files under a kustomization's
 * own directory and refuses to include a parent directory, so the kustomize directories hold their own copies of
 * the CRDs, split so that the full install includes the one next to KServe (decision 0186).
 */
export function renderGeneratedCrdFiles(openapi: KubernetesOpenApi): Map<string, string> {
  const crds = renderAllCrds(openapi);
  const files = new Map<string, string>();
  for (const [name, text] of crds) files.set(`${CRDS_DIR}/${name}`, text);
  const shared = CRD_SOURCES.filter((source) => source.sharedWithKServe).map(crdFileName);
  const ours = CRD_SOURCES.filter((source) => !source.sharedWithKServe).map(crdFileName);
  for (const name of shared) files.set(`${KUSTOMIZE_CRD_DIR}/${name}`, crds.get(name) ?? "");
  for (const name of ours) files.set(`${KUSTOMIZE_CRD_WITH_KSERVE_DIR}/${name}`, crds.get(name) ?? "");
  files.set(
    `${KUSTOMIZE_CRD_DIR}/kustomization.yaml`,
    kustomization("# All four CRDs: KServe's three and, in with-kserve/, the Predictor CRD.\n", [
      ...shared,
      "with-kserve",
    ]),
  );
  files.set(
    `${KUSTOMIZE_CRD_WITH_KSERVE_DIR}/kustomization.yaml`,
    kustomization(
      "# For clusters that already have KServe: only the Predictor CRD; KServe's InferenceService, ServingRuntime\n" +
        "# and ClusterServingRuntime CRDs stay in charge (docs/decisions/0010-crds-next-to-kserve.md).\n",
      ours,
    ),
  );
  return files;
}
