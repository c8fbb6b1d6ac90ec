import { readFileSync } from "node:fs";
import path from "node:path";
import {
  ApiException,
  ApiextensionsV1Api,
  CoreV1Api,
  CustomObjectsApi,
  KubeConfig,
  KubernetesObjectApi,
  PatchStrategy,
  type V1ConfigMap,
  VersionApi,
  Watch,
} from "@kubernetes/client-node";
import { Etcd3 } from "etcd3";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import {
  type ControlPlane,
  kubeconfigForUser,
  REPO_ROOT,
  startControlPlane,
} from "../support/control-plane/index.js";
import { testCrd } from "../support/kube/crds.js";

const NS = "default";

function kubeConfigFrom(file: string): KubeConfig {
  const kc = new KubeConfig();
  kc.loadFromFile(file);
  return kc;
}

async function statusCodeOf(call: Promise<unknown>): Promise<number> {
  try {
    await call;
    return 200;
  } catch (error) {
    if (error instanceof ApiException) return error.code;
    throw error;
  }
}

const widgetCrd = testCrd({
  group: "example.test",
  kind: "Widget",
  plural: "widgets",
  statusSubresource: true,
  schema: {
    type: "object",
    properties: {
      spec: { type: "object", properties: { size: { type: "integer" } } },
      status: { type: "object", properties: { ready: { type: "boolean" } } },
    },
  },
});

describe("the shared control plane is a real Kubernetes API server", () => {
  const kc = kubeConfigFrom(inject("kubeconfigPath"));
  const core = kc.makeApiClient(CoreV1Api);

  it("reports the pinned Kubernetes version", async () => {
    const pinned = readFileSync(
      path.join(REPO_ROOT, "test/support/control-plane/versions.env"),
      "utf8",
    ).match(/KUBERNETES_VERSION=(\S+)/)?.[1];
    const version = await kc.makeApiClient(VersionApi).getCode();
    expect(version.gitVersion).toBe(pinned);
  });

  it("establishes a CRD and serves its resources with a status subresource", async () => {
    const extensions = kc.makeApiClient(ApiextensionsV1Api);
    await extensions.createCustomResourceDefinition({ body: widgetCrd });
    let established = false;
    for (let i = 0; i < 100 && !established; i++) {
      const crd = await extensions.readCustomResourceDefinition({ name: widgetCrd.metadata.name });
      established =
        crd.status?.conditions?.some((c) => c.type === "Established" && c.status === "True") ?? false;
      if (!established) await new Promise((r) => setTimeout(r, 100));
    }
    expect(established).toBe(true);

    const custom = kc.makeApiClient(CustomObjectsApi);
    const target = { group: "example.test", version: "v1", namespace: NS, plural: "widgets" };
    let created: { metadata: { resourceVersion: string } } | undefined;
    for (let i = 0; i < 50 && !created; i++) {
      try {
        created = await custom.createNamespacedCustomObject({
          ...target,
          body: {
            apiVersion: "example.test/v1",
            kind: "Widget",
            metadata: { name: "w1" },
            spec: { size: 1 },
          },
        });
      } catch (error) {
        // Discovery of a just-established CRD can lag by a moment.
        if (!(error instanceof ApiException) || error.code !== 404) throw error;
        await new Promise((r) => setTimeout(r, 100));
      }
    }
    expect(created).toBeDefined();

    const withStatus = await custom.replaceNamespacedCustomObjectStatus({
      ...target,
      name: "w1",
      body: {
        apiVersion: "example.test/v1",
        kind: "Widget",
        metadata: { name: "w1", resourceVersion: created?.metadata.resourceVersion },
        spec: { size: 99 },
        status: { ready: true },
      },
    });
    // The status subresource writes status only: the spec change in the same body is ignored.
    expect(withStatus.status).toEqual({ ready: true });
    expect(withStatus.spec).toEqual({ size: 1 });
  });

  it("delivers ADDED, MODIFIED and DELETED to a watch, in order", async () => {
    const name = "watched";
    const list = await core.listNamespacedConfigMap({ namespace: NS });
    const seen: string[] = [];
    const watch = new Watch(kc);
    const done = new Promise<void>((resolve) => {
      void watch
        .watch(
          `/api/v1/namespaces/${NS}/configmaps`,
          { resourceVersion: list.metadata?.resourceVersion, fieldSelector: `metadata.name=${name}` },
          (phase) => {
            seen.push(phase);
            if (phase === "DELETED") resolve();
          },
          () => undefined,
        )
        .then((controller) => done.finally(() => controller.abort()));
    });
    await core.createNamespacedConfigMap({ namespace: NS, body: { metadata: { name }, data: { a: "1" } } });
    const got = await core.readNamespacedConfigMap({ name, namespace: NS });
    expect(got.data).toEqual({ a: "1" });
    await core.replaceNamespacedConfigMap({ name, namespace: NS, body: { ...got, data: { a: "2" } } });
    const listed = await core.listNamespacedConfigMap({
      namespace: NS,
      fieldSelector: `metadata.name=${name}`,
    });
    expect(listed.items.map((item) => item.data?.a)).toEqual(["2"]);
    await core.deleteNamespacedConfigMap({ name, namespace: NS });
    await done;
    expect(seen).toEqual(["ADDED", "MODIFIED", "DELETED"]);
  });

  it("applies server-side with field managers and reports a conflict between managers", async () => {
    const objects = KubernetesObjectApi.makeApiClient(kc);
    const body: V1ConfigMap = {
      apiVersion: "v1",
      kind: "ConfigMap",
      metadata: { name: "applied", namespace: NS },
      data: { owner: "first" },
    };
    const applied = await objects.patch(
      body,
      undefined,
      undefined,
      "first-manager",
      false,
      PatchStrategy.ServerSideApply,
    );
    expect(applied.metadata?.managedFields?.map((f) => f.manager)).toEqual(["first-manager"]);

    const conflicting = { ...body, data: { owner: "second" } };
    const apply = (force: boolean) =>
      objects.patch(
        conflicting,
        undefined,
        undefined,
        "second-manager",
        force,
        PatchStrategy.ServerSideApply,
      );
    expect(await statusCodeOf(apply(false))).toBe(409);
    const forced = await apply(true);
    expect((forced as V1ConfigMap).data).toEqual({ owner: "second" });
  });

  it("refuses an update with a stale resourceVersion with 409", async () => {
    const created = await core.createNamespacedConfigMap({
      namespace: NS,
      body: { metadata: { name: "stale" } },
    });
    await core.replaceNamespacedConfigMap({
      name: "stale",
      namespace: NS,
      body: { ...created, data: { v: "1" } },
    });
    const code = await statusCodeOf(
      core.replaceNamespacedConfigMap({
        name: "stale",
        namespace: NS,
        body: { ...created, data: { v: "2" } },
      }),
    );
    expect(code).toBe(409);
  });

  it("lets RBAC forbid a user without permissions", async () => {
    const nobody = kubeConfigFrom(await kubeconfigForUser(inject("kubeconfigPath"), "nobody"));
    expect(
      await statusCodeOf(nobody.makeApiClient(CoreV1Api).listNamespacedConfigMap({ namespace: NS })),
    ).toBe(403);
  });
});

describe("a control plane whose watches read etcd directly", () => {
  let plane: ControlPlane;

  beforeAll(async () => {
    plane = await startControlPlane({ apiServerArgs: ["--watch-cache=false"] });
  });
  afterAll(async () => {
    await plane?.stop();
  });

  it("answers 410 Gone to a watch from a resourceVersion that etcd compacted", async () => {
    const core = plane.kubeConfig.makeApiClient(CoreV1Api);
    const first = await core.createNamespacedConfigMap({
      namespace: NS,
      body: { metadata: { name: "old" } },
    });
    for (let i = 0; i < 5; i++) {
      await core.createNamespacedConfigMap({ namespace: NS, body: { metadata: { name: `new-${i}` } } });
    }
    const etcd = new Etcd3({ hosts: plane.etcdEndpoint });
    try {
      const { header } = await etcd.kv.range({ key: Buffer.from("/") });
      await etcd.kv.compact({ revision: header.revision, physical: true });
    } finally {
      etcd.close();
    }

    const outcome = await new Promise<{ type: string; code?: number }>((resolve) => {
      void new Watch(plane.kubeConfig).watch(
        `/api/v1/namespaces/${NS}/configmaps`,
        { resourceVersion: first.metadata?.resourceVersion },
        (type, object: { code?: number }) => resolve({ type, code: object.code }),
        (error: unknown) => resolve({ type: "CLOSED", code: (error as { statusCode?: number })?.statusCode }),
      );
    });
    expect(outcome).toEqual({ type: "ERROR", code: 410 });
  });
});
