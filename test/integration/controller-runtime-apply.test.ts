import type { KubernetesObject } from "@kubernetes/client-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { ResourceType } from "../../src/apis/resource-types.js";
import { applyOwned, FIELD_MANAGER } from "../../src/controller-runtime/apply.js";
import { Informer, listWatchFor } from "../../src/controller-runtime/informer.js";
import type { KubeApiError } from "../../src/controller-runtime/kube-client.js";
import { StatusWriter } from "../../src/controller-runtime/status-writer.js";
import { eventually } from "../support/async/eventually.js";
import { testCrd } from "../support/kube/crds.js";
import { suiteNamespace, uniqueName } from "../support/kube/namespaces.js";
import { CUSTOM_RESOURCE_DEFINITIONS } from "../support/kube/resource-types.js";

type Widget = KubernetesObject & { spec?: Record<string, unknown>; status?: Record<string, unknown> };

const CRD = CUSTOM_RESOURCE_DEFINITIONS;
const group = `${uniqueName("t")}.runtime-test.example.com`;
const WIDGET: ResourceType = {
  apiVersion: `${group}/v1`,
  kind: "Widget",
  plural: "widgets",
  namespaced: true,
};

const { client, namespace } = suiteNamespace("runtime-apply");

beforeAll(async () => {
  await client.create(
    CRD,
    testCrd({
      group,
      kind: "Widget",
      plural: "widgets",
      statusSubresource: true,
      schema: {
        type: "object",
        properties: {
          spec: { type: "object", "x-kubernetes-preserve-unknown-fields": true },
          status: { type: "object", "x-kubernetes-preserve-unknown-fields": true },
        },
      },
    }),
  );
  await eventually(() => client.list(WIDGET, { namespace }), "the Widget CRD to be served", 30_000);
});

afterAll(async () => {
  await client.delete(CRD, `widgets.${group}`);
});

describe("server-side apply and status writes", () => {
  it("applies owned objects under one field manager, taking over fields another manager set", async () => {
    const widget = { metadata: { name: "applied", namespace }, spec: { size: 1, color: "blue" } };
    await client.apply(
      WIDGET,
      { apiVersion: WIDGET.apiVersion, kind: WIDGET.kind, ...widget },
      {
        fieldManager: "someone-else",
      },
    );
    const applied = await applyOwned<Widget>(client, WIDGET, { ...widget, spec: { size: 2, color: "blue" } });
    expect(applied.spec).toEqual({ size: 2, color: "blue" });
    const managers = applied.metadata?.managedFields?.map((entry) => `${entry.manager}/${entry.operation}`);
    expect(managers).toContain(`${FIELD_MANAGER}/Apply`);
  });

  /** Creates a widget and a synced informer of the namespace's widgets. */
  const cachedWidget = async (name: string) => {
    await applyOwned<Widget>(client, WIDGET, { metadata: { name, namespace }, spec: { size: 1 } });
    const informer = new Informer<Widget>({
      type: WIDGET,
      listWatcher: listWatchFor(client, WIDGET),
      namespace,
    });
    informer.start();
    expect(await informer.waitForSync(30_000)).toBe(true);
    return informer;
  };

  it("writes status only when it changed, against the newest copy it knows", async () => {
    const informer = await cachedWidget("status");
    const key = `${namespace}/status`;
    const cached = () => informer.store.get(key) as Widget;
    const writer = new StatusWriter(client);
    writer.track(WIDGET, informer as Informer<KubernetesObject>);

    const ready = { phase: "Ready", message: "all good", conditions: [{ type: "Ready", status: "True" }] };
    expect(await writer.write(WIDGET, cached(), ready)).toBe(true);
    await eventually(() => cached().status?.phase === "Ready", "the cache to see the status", 10_000);
    const versionAfterWrite = cached().metadata?.resourceVersion;

    // A resync with the same status, fields in another order, writes nothing.
    const reordered = {
      conditions: [{ status: "True", type: "Ready" }],
      message: "all good",
      phase: "Ready",
    };
    expect(await writer.write(WIDGET, cached(), reordered)).toBe(false);
    const onServer = await client.get<Widget>(WIDGET, "status", namespace);
    expect(onServer?.metadata?.resourceVersion).toBe(versionAfterWrite);

    // A removed field is removed on the server.
    const stale = cached();
    expect(await writer.write(WIDGET, stale, { phase: "Ready", conditions: ready.conditions })).toBe(true);
    expect((await client.get<Widget>(WIDGET, "status", namespace))?.status).toEqual({
      phase: "Ready",
      conditions: ready.conditions,
    });

    // A snapshot older than the cache, same spec: compared with (and guarded by) the cache's copy.
    expect(await writer.write(WIDGET, stale, { phase: "Failed" })).toBe(true);
    expect((await client.get<Widget>(WIDGET, "status", namespace))?.status).toEqual({ phase: "Failed" });
    await informer.stop();
  });

  it("judges a status against its own last write while the cache has not caught up with it", async () => {
    const informer = await cachedWidget("lagging");
    // A stopped informer keeps its objects: a cache that sees none of the writes below.
    await informer.stop();
    const writer = new StatusWriter(client);
    writer.track(WIDGET, informer as Informer<KubernetesObject>);
    const lagging = informer.store.get(`${namespace}/lagging`) as Widget;

    expect(await writer.write(WIDGET, lagging, { phase: "Busy" })).toBe(true);
    expect(await writer.write(WIDGET, lagging, { phase: "Busy", message: "still" })).toBe(true);
    // Back to what the cache shows (no status): a change from what was written, so it is written.
    expect(await writer.write(WIDGET, lagging, {})).toBe(true);
    expect((await client.get<Widget>(WIDGET, "lagging", namespace))?.status ?? {}).toEqual({});
    expect(await writer.write(WIDGET, lagging, {})).toBe(false);
    expect(writer.pending).toBe(1);
  });

  it("compares with the cache's newer copy of the same spec, and forgets a write once the cache has it", async () => {
    const informer = await cachedWidget("fresh");
    const writer = new StatusWriter(client);
    writer.track(WIDGET, informer as Informer<KubernetesObject>);
    const key = `${namespace}/fresh`;
    const snapshot = informer.store.get(key) as Widget;
    expect(await writer.write(WIDGET, snapshot, { phase: "Done" })).toBe(true);
    await eventually(
      () => informer.store.get(key)?.status?.phase === "Done",
      "the cache to see Done",
      10_000,
    );
    // The informer's handlers run after its store has the object.
    await eventually(() => writer.pending === 0, "the write to be forgotten", 10_000);
    // A reconcile that took its snapshot before the write: the cache's copy shows the write, nothing to do.
    expect(await writer.write(WIDGET, snapshot, { phase: "Done" })).toBe(false);
    // The spec changed since the snapshot: the snapshot is what the status was computed from, and it is stale.
    await client.mergePatch(WIDGET, { namespace, name: "fresh" }, { spec: { size: 2 } });
    await eventually(
      () => informer.store.get(key)?.spec?.size === 2,
      "the cache to see the new spec",
      10_000,
    );
    const refused = await writer.write(WIDGET, snapshot, { phase: "Old" }).catch((e: unknown) => e);
    expect((refused as KubeApiError).statusCode).toBe(409);
    await informer.stop();
  });
});
