/**
 * The Helm chart (config/helm/modelmesh-serving) with the project's pinned helm: lint for each choice of values,
 * then `helm template | kubectl apply --dry-run=server` against a real API server for both scopes and every way
 * of getting the webhook certificate.
 */
import { X509Certificate } from "node:crypto";
import { readdirSync } from "node:fs";
import path from "node:path";
import type { V1PolicyRule } from "@kubernetes/client-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type ControlPlane, REPO_ROOT, startControlPlane } from "../support/control-plane/index.js";
import {
  asYamlStream,
  CHART,
  crdsEstablished,
  helm,
  helmBinary,
  type InstalledObject,
  kubectl,
  kustomize,
  parseObjects,
  THIRD_PARTY_CRDS,
  wildcards,
} from "../support/install/install.js";

const NAMESPACE = "mms-helm";

async function template(
  values: Record<string, string> = {},
  flags: string[] = [],
): Promise<InstalledObject[]> {
  const sets = Object.entries(values).flatMap(([key, value]) => ["--set", `${key}=${value}`]);
  return parseObjects(
    await helm(["template", "modelmesh-serving", CHART, "--namespace", NAMESPACE, ...sets, ...flags]),
  );
}

/** The chart's CRDs, as `helm install` creates them from crds/. */
const chartCrds = async () => ofKind(await template({}, ["--include-crds"]), "CustomResourceDefinition");
const ofKind = (objects: InstalledObject[], kind: string) => objects.filter((o) => o.kind === kind);

beforeAll(async () => {
  await helmBinary();
}, 20 * 60_000);

describe("helm lint", () => {
  it.each([
    ["defaults (cluster scope, self-signed certificate)", []],
    ["namespace scope", ["--set", "scope=namespace"]],
    ["cert-manager certificate", ["--set", "webhook.certificates.mode=certManager"]],
    [
      "provided certificate",
      ["--set", "webhook.certificates.mode=secret", "--set", "webhook.certificates.caBundle=Zm9v"],
    ],
    ["leader-for-life election", ["--set", "leaderElectionType=life"]],
    [
      "monitoring and user config",
      [
        "--set",
        "metrics.serviceMonitor.enabled=true",
        "--set",
        "metrics.dashboard.enabled=true",
        "--set",
        "userConfig.podsPerRuntime=1",
      ],
    ],
  ])("passes with %s", async (_name, args) => {
    const out = await helm(["lint", "--strict", CHART, ...args]);
    expect(out).toContain("1 chart(s) linted, 0 chart(s) failed");
  });

  it("rejects an unknown scope through the values schema", async () => {
    await expect(helm(["lint", CHART, "--set", "scope=everywhere"])).rejects.toThrow(
      /scope.*(must be one of|value must be)/s,
    );
  });

  it("rejects an unknown leader election type through the values schema", async () => {
    await expect(helm(["lint", CHART, "--set", "leaderElectionType=raft"])).rejects.toThrow(
      /leaderElectionType.*(must be one of|value must be)/s,
    );
  });

  it("requires the CA when the certificate is provided", async () => {
    await expect(template({ "webhook.certificates.mode": "secret" })).rejects.toThrow(
      /webhook.certificates.caBundle .* is required/,
    );
  });
});

describe("the chart's content", () => {
  it("ships exactly the repository's CRDs", async () => {
    const shipped = (await chartCrds()).map((crd) => crd.metadata.name).sort();
    const generated = readdirSync(path.join(REPO_ROOT, "crds"))
      .filter((file) => file.startsWith("serving.kserve.io_"))
      .map((file) => `${file.slice("serving.kserve.io_".length, -".yaml".length)}.serving.kserve.io`)
      .sort();
    expect(shipped).toEqual(generated);
  });

  it("grants the same rules as the kustomize install, without wildcards", async () => {
    for (const [scope, kind, overlay] of [
      ["cluster", "ClusterRole", "rbac/cluster-scope"],
      ["namespace", "Role", "rbac/namespace-scope"],
    ] as const) {
      const rendered = ofKind(await template({ scope }), kind).find(
        (o) => o.metadata.name === "modelmesh-controller-role",
      );
      const kustomized = (await kustomize(overlay)).find(
        (o) => o.kind === kind && o.metadata.name === "modelmesh-controller-role",
      );
      expect(rendered?.rules).toEqual(kustomized?.rules);
      expect(wildcards(rendered?.rules as V1PolicyRule[])).toEqual([]);
    }
  });

  it("generates a webhook certificate for the Service's DNS name, signed by the CA in the caBundle", async () => {
    const objects = await template();
    const secret = ofKind(objects, "Secret")[0] as InstalledObject & { data: Record<string, string> };
    const webhook = ofKind(objects, "ValidatingWebhookConfiguration")[0] as InstalledObject & {
      webhooks: { clientConfig: { caBundle: string } }[];
    };
    const decode = (b64: string) => Buffer.from(b64, "base64");
    const ca = new X509Certificate(decode(webhook.webhooks[0]?.clientConfig.caBundle ?? ""));
    const serving = new X509Certificate(decode(secret.data["tls.crt"] ?? ""));
    expect(decode(secret.data["ca.crt"] ?? "").toString()).toBe(ca.toString());
    expect(serving.verify(ca.publicKey)).toBe(true);
    expect(serving.checkHost(`modelmesh-webhook-server-service.${NAMESPACE}.svc`)).toBeDefined();
    expect(new Date(serving.validTo).getTime()).toBeGreaterThan(Date.now() + 365 * 86_400_000);
  });

  it("passes the leader election type to the controller, and no election flags without election", async () => {
    const args = async (values: Record<string, string>) => {
      const [deployment] = ofKind(await template(values), "Deployment") as (InstalledObject & {
        spec: { template: { spec: { containers: { args: string[] }[] } } };
      })[];
      return deployment?.spec.template.spec.containers[0]?.args;
    };
    expect(await args({})).toEqual(["run", "--enable-leader-election", "--leader-elect-type=lease"]);
    expect(await args({ leaderElectionType: "life" })).toEqual([
      "run",
      "--enable-leader-election",
      "--leader-elect-type=life",
    ]);
    expect(await args({ leaderElection: "false" })).toEqual(["run"]);
  });

  it("renders the user config into model-serving-config, and none without user config", async () => {
    expect(ofKind(await template(), "ConfigMap")).toEqual([]);
    const [configMap] = ofKind(
      await template({ "userConfig.podsPerRuntime": "1" }),
      "ConfigMap",
    ) as (InstalledObject & {
      data: Record<string, string>;
    })[];
    expect(configMap?.metadata.name).toBe("model-serving-config");
    expect(configMap?.data["config.yaml"]?.trim()).toBe("podsPerRuntime: 1");
  });
});

describe.each([
  ["cluster", "ClusterServingRuntime"],
  ["namespace", "ServingRuntime"],
])("helm template | kubectl apply --dry-run=server, %s scope", (scope, runtimeKind) => {
  let plane: ControlPlane;

  beforeAll(async () => {
    plane = await startControlPlane();
    await kubectl(
      plane,
      ["apply", "--server-side", "-f", "-"],
      asYamlStream([...(await chartCrds()), ...THIRD_PARTY_CRDS]),
    );
    await crdsEstablished(plane);
    await kubectl(plane, ["create", "namespace", NAMESPACE]);
  });
  afterAll(async () => {
    await plane?.stop();
  });

  it.each([
    ["selfSigned", {}],
    ["certManager", {}],
    ["secret", { "webhook.certificates.caBundle": "Zm9v" }],
  ])("accepts every object with webhook certificates from %s", async (mode, extra) => {
    const objects = await template({ scope, "webhook.certificates.mode": mode, ...extra });
    const out = await kubectl(
      plane,
      ["apply", "--server-side", "--dry-run=server", "-f", "-"],
      asYamlStream(objects),
    );
    for (const object of objects) {
      expect(out).toContain(`/${object.metadata.name} serverside-applied (server dry run)`);
    }
    expect(out).toContain("deployment.apps/modelmesh-controller serverside-applied (server dry run)");
    expect(ofKind(objects, runtimeKind)).toHaveLength(4);
    const roles = [...ofKind(objects, "ClusterRole"), ...ofKind(objects, "Role")] as (InstalledObject & {
      rules: V1PolicyRule[];
    })[];
    for (const role of roles) expect(wildcards(role.rules)).toEqual([]);
    if (scope === "namespace") {
      expect(ofKind(objects, "ClusterRole")).toEqual([]);
      expect(ofKind(objects, "ClusterRoleBinding")).toEqual([]);
      for (const object of objects.filter((o) => o.kind !== "ValidatingWebhookConfiguration"))
        expect(object.metadata.namespace, `${object.kind}/${object.metadata.name}`).toBe(NAMESPACE);
    }
  });

  it("installs objects in an order that creates the runtimes before their webhook", async () => {
    const kinds = (await template({ scope })).map((o) => o.kind);
    expect(kinds.lastIndexOf(runtimeKind)).toBeLessThan(kinds.indexOf("ValidatingWebhookConfiguration"));
  });
});
