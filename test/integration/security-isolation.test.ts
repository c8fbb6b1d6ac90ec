/**
 * Least privilege, proven on a control plane that audits every request: the controller runs as the install's
 * ServiceAccount (client certificate `system:serviceaccount:<ns>:modelmesh-controller`, RBAC from config/rbac),
 * serves a load, deletes and the webhook; then the audit log must show no forbidden call, nothing read or written
 * outside what its scope allows, and Secrets read only by name. Also: no secret value in any log line at debug
 * level, and the webhook refuses TLS 1.0/1.1.
 */

import { createServer } from "node:https";
import tls from "node:tls";
import type { KubernetesObject, V1Deployment } from "@kubernetes/client-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  CONFIG_MAPS,
  DEPLOYMENTS,
  INFERENCE_SERVICES,
  NAMESPACES,
  SECRETS,
  SERVICES,
  SERVING_RUNTIMES,
} from "../../src/apis/resource-types.js";
import { eventually } from "../support/async/eventually.js";
import { ETCD_SECRET_NAME, userConfigMap } from "../support/controller/user-config.js";
import { loadKubeConfig, testClient } from "../support/kube/clients.js";
import { createExactNamespace, namespaceObject } from "../support/kube/namespaces.js";
import { recordFigures } from "../support/resilience/figures.js";
import {
  createInferenceServices,
  forEachRetried,
  inferenceService,
  loadPlan,
} from "../support/resilience/load.js";
import { MeshCluster, RUNTIME, STORAGE_SECRET } from "../support/resilience/mesh-cluster.js";
import { customRuntime } from "../support/runtimes/custom-runtime.js";
import {
  AUDIT_EVERYTHING,
  type AuditEntry,
  describeEntry,
  openWatches,
  readAudit,
  selectedName,
} from "../support/security/audit.js";
import { grantSecretNames } from "../support/security/rbac.js";

const WRITE_VERBS = new Set(["create", "update", "patch", "delete", "deletecollection"]);
const TLS_SECRET = "mm-tls";

function bystanderObjects(namespace: string): Array<[typeof SECRETS, KubernetesObject]> {
  return [
    [NAMESPACES, namespaceObject(namespace)],
    [
      SECRETS,
      {
        apiVersion: "v1",
        kind: "Secret",
        metadata: { name: ETCD_SECRET_NAME, namespace },
        stringData: { etcd_connection: "{}" },
      } as KubernetesObject,
    ],
    [
      SECRETS,
      { apiVersion: "v1", kind: "Secret", metadata: { name: STORAGE_SECRET, namespace } } as KubernetesObject,
    ],
    [SERVING_RUNTIMES, customRuntime("ServingRuntime", "rt-bystander", namespace)],
    [INFERENCE_SERVICES, inferenceService(namespace, { name: "bystander-model", expected: "Loaded" })],
  ];
}

describe("namespace scope, audited", () => {
  let cluster: MeshCluster;
  let entries: AuditEntry[];
  const BYSTANDER = "bystander";

  beforeAll(async () => {
    cluster = await MeshCluster.start({ namespace: "mms-ns", auditPolicy: AUDIT_EVERYTHING, webhook: true });
    for (const [type, object] of bystanderObjects(BYSTANDER)) await cluster.client.create(type, object);
    await cluster.startController();
    const items = loadPlan("sec", 40);
    await createInferenceServices(cluster.client, cluster.namespace, items);
    const expected = new Map(items.map((item) => [item.name, item.expected]));
    await cluster.waitConverged(expected, 120_000);
    const doomed = items.slice(0, 10).map((item) => item.name);
    await forEachRetried(doomed, 4, (name) =>
      cluster.client.delete(INFERENCE_SERVICES, name, cluster.namespace),
    );
    for (const name of doomed) expected.delete(name);
    await cluster.waitConverged(expected, 120_000);
    // The webhook path: a runtime update the API server sends to the controller for review.
    await cluster.client.mergePatch(
      SERVING_RUNTIMES,
      { namespace: cluster.namespace, name: "rt-sklearn" },
      { metadata: { labels: { audited: "yes" } } },
    );
    await cluster.controllers[0]?.stop();
    entries = readAudit(cluster.plane.dir, `system:serviceaccount:${cluster.namespace}:modelmesh-controller`);
  });

  afterAll(async () => {
    await cluster?.stop();
  });

  it("made no call its RBAC forbids", () => {
    expect(entries.length).toBeGreaterThan(100);
    expect(entries.filter((e) => e.responseStatus?.code === 403).map(describeEntry)).toEqual([]);
  });

  it("read and wrote nothing outside its namespace", () => {
    const outside = entries.filter(
      (e) => e.objectRef?.resource !== undefined && e.objectRef.namespace !== cluster.namespace,
    );
    expect(outside.map(describeEntry)).toEqual([]);
    expect(
      entries.filter((e) => e.requestURI.includes(`/namespaces/${BYSTANDER}`)).map(describeEntry),
    ).toEqual([]);
  });

  it("read Secrets only in its namespace and only by name: each list and watch selects one name", () => {
    const secrets = entries.filter((e) => e.objectRef?.resource === "secrets");
    const wanted = new Set([ETCD_SECRET_NAME, STORAGE_SECRET, TLS_SECRET]);
    const gets = secrets.filter((e) => e.verb === "get");
    expect(gets.filter((e) => !wanted.has(e.objectRef?.name ?? "")).map(describeEntry)).toEqual([]);
    const collections = secrets.filter((e) => e.verb === "list" || e.verb === "watch");
    const outside = collections.filter((e) => e.objectRef?.namespace !== cluster.namespace);
    const unnamed = collections.filter((e) => selectedName(e) === undefined);
    const writes = secrets.filter((e) => WRITE_VERBS.has(e.verb));
    recordFigures("security-isolation", {
      scope: "namespace",
      requests: entries.length,
      secretGets: gets.length,
      secretListsAndWatches: collections.length,
      secretCollectionsWithoutNameSelector: unnamed.length,
      secretCollectionsOutsideServedNamespaces: outside.length,
      secretNamesListed: [...new Set(collections.map(selectedName))].sort(),
      secretWrites: writes.map(describeEntry).slice(0, 5),
    });
    expect(collections.length).toBeGreaterThan(0);
    expect(unnamed.map(describeEntry)).toEqual([]);
    expect(outside.map(describeEntry)).toEqual([]);
    expect([...new Set(collections.map(selectedName))].sort()).toEqual([ETCD_SECRET_NAME, STORAGE_SECRET]);
    // The only Secret it writes in namespace scope is none: its namespace is the controller namespace.
    expect(writes.map(describeEntry)).toEqual([]);
  });

  it("is granted Secrets by name only: a list/watch selecting a granted name passes, any other is refused", async () => {
    // The API server authorizes a list/watch with a `metadata.name` field selector against resourceNames.
    const serviceAccount = testClient(loadKubeConfig(cluster.controllerKubeconfigPath));
    const namespace = cluster.namespace;
    const list = (fieldSelector?: string) => serviceAccount.list(SECRETS, { namespace, fieldSelector });
    const watch = (fieldSelector?: string) =>
      serviceAccount.watch(
        SECRETS,
        { namespace, fieldSelector, timeoutSeconds: 1 },
        () => {},
        AbortSignal.timeout(5_000),
      );
    expect((await list(`metadata.name=${STORAGE_SECRET}`)).items.map((s) => s.metadata?.name)).toEqual([
      STORAGE_SECRET,
    ]);
    await expect(watch(`metadata.name=${ETCD_SECRET_NAME}`)).resolves.toBeUndefined();
    await expect(list()).rejects.toMatchObject({ statusCode: 403 });
    await expect(watch()).rejects.toMatchObject({ statusCode: 403 });
    await expect(list(`metadata.name=${TLS_SECRET}`)).rejects.toMatchObject({ statusCode: 403 });
    await expect(serviceAccount.get(SECRETS, TLS_SECRET, namespace)).rejects.toMatchObject({
      statusCode: 403,
    });
    // The Role is the controller namespace's: the same name elsewhere is refused.
    await expect(
      serviceAccount.list(SECRETS, {
        namespace: "bystander",
        fieldSelector: `metadata.name=${STORAGE_SECRET}`,
      }),
    ).rejects.toMatchObject({ statusCode: 403 });
  });

  it("serves its webhook with TLS 1.2 or newer only", async () => {
    const port = cluster.controllers[0]?.ports?.webhook;
    // The webhook stopped with the controller above: start another to probe it.
    const probe = await cluster.startController("tls-probe");
    const probePort = probe.ports?.webhook ?? port ?? 0;
    const handshake = (options: tls.ConnectionOptions, target: number) =>
      new Promise<string>((resolve) => {
        const socket = tls.connect(
          { host: "127.0.0.1", port: target, rejectUnauthorized: false, ...options },
          () => {
            resolve(socket.getProtocol() ?? "unknown");
            socket.end();
          },
        );
        socket.on("error", (error) => resolve(`refused: ${error.message}`));
      });
    const old = { minVersion: "TLSv1", maxVersion: "TLSv1.1", ciphers: "DEFAULT@SECLEVEL=0" } as const;
    // The same old client is understood by a server that allows old protocols, so a refusal is the webhook's.
    const serving = await cluster.plane.issueServingCertificate(["localhost"]);
    const permissive = createServer({
      cert: serving.certPem,
      key: serving.keyPem,
      minVersion: "TLSv1",
      ciphers: "DEFAULT@SECLEVEL=0",
    });
    await new Promise<void>((resolve) => permissive.listen(0, "127.0.0.1", resolve));
    const permissivePort = (permissive.address() as { port: number }).port;
    expect(await handshake({ ...old, maxVersion: "TLSv1" }, permissivePort)).toBe("TLSv1");
    expect(await handshake(old, permissivePort)).toBe("TLSv1.1");
    permissive.close();

    expect(await handshake({ ...old, maxVersion: "TLSv1" }, probePort)).toMatch(/^refused/);
    expect(await handshake(old, probePort)).toMatch(/^refused/);
    expect(await handshake({ minVersion: "TLSv1.2", maxVersion: "TLSv1.2" }, probePort)).toBe("TLSv1.2");
    expect(await handshake({}, probePort)).toBe("TLSv1.3");
    await probe.stop();
  });
});

describe("cluster scope, audited: unlabelled namespaces are left alone", () => {
  let cluster: MeshCluster;
  let entries: AuditEntry[];
  const UNLABELLED = "unlabelled";
  const LABELLED = "labelled";

  beforeAll(async () => {
    cluster = await MeshCluster.start({ scope: "cluster", auditPolicy: AUDIT_EVERYTHING });
    for (const [type, object] of bystanderObjects(UNLABELLED)) await cluster.client.create(type, object);
    await createExactNamespace(cluster.client, LABELLED, { "modelmesh-enabled": "true" });
    await cluster.client.create(SERVING_RUNTIMES, customRuntime("ServingRuntime", "rt-labelled", LABELLED));
    await cluster.startController();
    const items = loadPlan("cs", 20);
    await createInferenceServices(cluster.client, cluster.namespace, items);
    await cluster.waitConverged(new Map(items.map((item) => [item.name, item.expected])), 120_000);
    // The labelled namespace is served: its Service appears (a write there is expected).
    const deadline = Date.now() + 30_000;
    while (Date.now() < deadline) {
      const services = await cluster.client.list(SERVICES, { namespace: LABELLED });
      if (services.items.length > 0) break;
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
    await cluster.controllers[0]?.stop();
    entries = readAudit(cluster.plane.dir, `system:serviceaccount:${cluster.namespace}:modelmesh-controller`);
  });

  afterAll(async () => {
    await cluster?.stop();
  });

  it("made no forbidden call and wrote nothing in the unlabelled namespace", () => {
    expect(entries.filter((e) => e.responseStatus?.code === 403).map(describeEntry)).toEqual([]);
    const writes = entries.filter((e) => WRITE_VERBS.has(e.verb));
    expect(writes.filter((e) => e.objectRef?.namespace === UNLABELLED).map(describeEntry)).toEqual([]);
    expect(writes.some((e) => e.objectRef?.namespace === LABELLED)).toBe(true);
    const secrets = entries.filter((e) => e.objectRef?.resource === "secrets");
    const gets = secrets.filter((e) => e.verb === "get");
    expect(gets.filter((e) => e.objectRef?.namespace === UNLABELLED).map(describeEntry)).toEqual([]);
    const collections = secrets.filter((e) => e.verb === "list" || e.verb === "watch");
    const served = new Set([cluster.namespace, LABELLED]);
    const unnamed = collections.filter((e) => selectedName(e) === undefined);
    const outside = collections.filter((e) => !served.has(e.objectRef?.namespace ?? ""));
    recordFigures("security-isolation", {
      scope: "cluster",
      requests: entries.length,
      writes: writes.length,
      secretListsAndWatches: collections.length,
      secretCollectionsWithoutNameSelector: unnamed.length,
      secretCollectionsOutsideServedNamespaces: outside.length,
      secretCollections: [
        ...new Set(collections.map((e) => `${e.objectRef?.namespace}/${selectedName(e) ?? "*"}`)),
      ].sort(),
    });
    expect(unnamed.map(describeEntry)).toEqual([]);
    // Cluster-wide requests have no namespace: they count as outside too.
    expect(outside.map(describeEntry)).toEqual([]);
    expect(
      [...new Set(collections.map((e) => `${e.objectRef?.namespace}/${selectedName(e)}`))].sort(),
    ).toEqual(
      [
        `${cluster.namespace}/${ETCD_SECRET_NAME}`,
        `${cluster.namespace}/${STORAGE_SECRET}`,
        `${LABELLED}/${ETCD_SECRET_NAME}`,
        `${LABELLED}/${STORAGE_SECRET}`,
      ].sort(),
    );
  });
});

describe("cluster scope, audited: Secrets are read while their namespace is served, by the configured names", () => {
  let cluster: MeshCluster;
  let user: string;
  const TOGGLED = "toggled";
  const OTHER_STORAGE = "other-storage";

  const secretCollections = (namespace: string) =>
    readAudit(cluster.plane.dir, user).filter(
      (e) =>
        e.objectRef?.resource === "secrets" &&
        e.objectRef.namespace === namespace &&
        (e.verb === "list" || e.verb === "watch"),
    );
  /** The Secret names the controller watches in the namespace right now. */
  const watching = (namespace: string) =>
    openWatches(cluster.plane.dir, user)
      .filter((e) => e.objectRef?.resource === "secrets" && e.objectRef.namespace === namespace)
      .map(selectedName)
      .sort();
  const until = (check: () => boolean, what: string) =>
    eventually(() => (check() ? true : undefined), what, 30_000);

  beforeAll(async () => {
    cluster = await MeshCluster.start({
      scope: "cluster",
      namespace: "mms-live",
      auditPolicy: AUDIT_EVERYTHING,
    });
    user = `system:serviceaccount:${cluster.namespace}:modelmesh-controller`;
    await createExactNamespace(cluster.client, TOGGLED);
    await cluster.client.create(SECRETS, {
      apiVersion: "v1",
      kind: "Secret",
      metadata: { name: STORAGE_SECRET, namespace: TOGGLED },
      stringData: { localMinIO: "{}" },
    } as KubernetesObject);
    await cluster.client.create(SERVING_RUNTIMES, customRuntime("ServingRuntime", "rt-toggled", TOGGLED));
    await cluster.startController();
  });

  afterAll(async () => {
    await cluster?.stop();
  });

  it("starts reading a namespace's Secrets when it is labelled and stops when the label goes", async () => {
    await until(
      () => watching(cluster.namespace).includes(STORAGE_SECRET),
      "the controller watching its own storage Secret",
    );
    expect(secretCollections(TOGGLED).map(describeEntry)).toEqual([]);
    expect(watching(TOGGLED)).toEqual([]);

    await cluster.client.mergePatch(
      NAMESPACES,
      { name: TOGGLED },
      { metadata: { labels: { "modelmesh-enabled": "true" } } },
    );
    await until(
      () => watching(TOGGLED).join() === [ETCD_SECRET_NAME, STORAGE_SECRET].join(),
      "watches of the labelled namespace's etcd and storage Secrets",
    );
    // Served with a runtime: the controller writes its etcd Secret copy there.
    await eventually(() => cluster.client.get(SECRETS, ETCD_SECRET_NAME, TOGGLED), "the etcd Secret copy");

    await cluster.client.mergePatch(
      NAMESPACES,
      { name: TOGGLED },
      { metadata: { labels: { "modelmesh-enabled": null } } },
    );
    await until(() => watching(TOGGLED).length === 0, "the watches of the unlabelled namespace to end");
    // It still removes what it wrote there, from what it last saw, without reading the namespace again.
    await eventually(
      async () =>
        (await cluster.client.get(SECRETS, ETCD_SECRET_NAME, TOGGLED)) === undefined ? true : undefined,
      "the etcd Secret copy removed",
    );
    const requestsWhenStopped = secretCollections(TOGGLED).length;
    await new Promise((resolve) => setTimeout(resolve, 3_000));
    expect(secretCollections(TOGGLED)).toHaveLength(requestsWhenStopped);
    expect(watching(TOGGLED)).toEqual([]);
    expect(
      secretCollections(TOGGLED)
        .filter((e) => selectedName(e) === undefined)
        .map(describeEntry),
    ).toEqual([]);
    recordFigures("security-served-secrets", {
      toggledNamespaceSecretCollections: requestsWhenStopped,
    });
  }, 90_000);

  it("follows a new storageSecretName from model-serving-config without a restart", async () => {
    const controller = cluster.controllers[0];
    await cluster.client.create(SECRETS, {
      apiVersion: "v1",
      kind: "Secret",
      metadata: { name: OTHER_STORAGE, namespace: cluster.namespace },
      stringData: { shared: JSON.stringify({ type: "pvc", name: "claim-other" }) },
    } as KubernetesObject);
    // A configured name must be granted by name (decision 0111), as an operator would.
    await grantSecretNames(cluster.client, "cluster", cluster.namespace, [OTHER_STORAGE]);
    await cluster.client.create(
      CONFIG_MAPS,
      userConfigMap(cluster.namespace, `storageSecretName: ${OTHER_STORAGE}\n`),
    );
    const claims = await eventually(
      async () => {
        const deployment = await cluster.client.get<V1Deployment>(
          DEPLOYMENTS,
          `modelmesh-serving-${RUNTIME}`,
          cluster.namespace,
        );
        const names = (deployment?.spec?.template?.spec?.volumes ?? []).flatMap((volume) =>
          volume.persistentVolumeClaim ? [volume.persistentVolumeClaim.claimName] : [],
        );
        return names.length > 0 ? names : undefined;
      },
      "the runtime Deployment to mount the claim of the new storage Secret",
      30_000,
    );
    expect(claims).toEqual(["claim-other"]);
    await until(
      () => watching(cluster.namespace).join() === [ETCD_SECRET_NAME, OTHER_STORAGE].sort().join(),
      "the watch of the old storage Secret to end and the new one's to run",
    );
    expect(cluster.controllers).toEqual([controller]);
    expect(controller?.crashed()).toBe(false);
  }, 90_000);
});

describe("no secret value in any log line (debug logging)", () => {
  const MARKERS = {
    etcdPassword: "MARKER-etcd-password-7c1e",
    tlsKey: "MARKER-tls-key-9d2f",
    storage: "MARKER-storage-secret-3a8b",
  };
  let cluster: MeshCluster;

  afterAll(async () => {
    await cluster?.stop();
  });

  it("the etcd password, the TLS key and the storage credentials are never printed", async () => {
    cluster = await MeshCluster.start({
      namespace: "mms-secrets",
      storageSecretData: {
        localMinIO: JSON.stringify({
          type: "s3",
          access_key_id: "AKIA-not-secret",
          secret_access_key: MARKERS.storage,
          endpoint_url: "http://minio:9000",
          default_bucket: "models",
        }),
      },
      etcdConnection: {
        endpoints: "http://127.0.0.1:1",
        root_prefix: "modelmesh-serving",
        userid: "root",
        password: MARKERS.etcdPassword,
      },
    });
    await cluster.client.create(SECRETS, {
      apiVersion: "v1",
      kind: "Secret",
      metadata: { name: TLS_SECRET, namespace: cluster.namespace },
      stringData: {
        "tls.crt": "-----BEGIN CERTIFICATE-----\nnot-a-certificate\n-----END CERTIFICATE-----\n",
        "tls.key": `-----BEGIN PRIVATE KEY-----\n${MARKERS.tlsKey}\n-----END PRIVATE KEY-----\n`,
      },
    } as KubernetesObject);
    await cluster.client.create(CONFIG_MAPS, {
      apiVersion: "v1",
      kind: "ConfigMap",
      metadata: { name: "model-serving-config", namespace: cluster.namespace },
      data: { "config.yaml": `tls:\n  secretName: ${TLS_SECRET}\n` },
    } as KubernetesObject);
    // A configured TLS Secret name must be granted by name (decision 0111), as an operator would.
    await grantSecretNames(cluster.client, "namespace", cluster.namespace, [TLS_SECRET]);
    const controller = await cluster.startController("debug", { logLevel: "debug" });
    await createInferenceServices(cluster.client, cluster.namespace, loadPlan("sec", 10));
    // Let it try (and fail) to reach etcd and ModelMesh with that material for a while.
    await new Promise((resolve) => setTimeout(resolve, 20_000));
    // Then change the Secrets, so their reloads are logged too.
    await cluster.client.mergePatch(
      SECRETS,
      { namespace: cluster.namespace, name: TLS_SECRET },
      { stringData: { "tls.key": `${MARKERS.tlsKey}-2` } },
    );
    await cluster.client.mergePatch(
      SECRETS,
      { namespace: cluster.namespace, name: ETCD_SECRET_NAME },
      { stringData: { extra: MARKERS.etcdPassword } },
    );
    await new Promise((resolve) => setTimeout(resolve, 10_000));
    await controller.stop();
    const lines = controller.logLines();
    const needles = Object.values(MARKERS).flatMap((marker) => [
      marker,
      Buffer.from(marker).toString("base64"),
    ]);
    const leaks = lines.filter((line) => needles.some((needle) => line.includes(needle)));
    recordFigures("security-secrets-in-logs", {
      lines: lines.length,
      debugLines: lines.filter((l) => l.includes('"level":"debug"')).length,
      leaks: leaks.length,
    });
    expect(lines.some((line) => line.includes('"level":"debug"'))).toBe(true);
    expect(leaks.map((line) => line.slice(0, 300))).toEqual([]);
    // Every Secret it was given was read (none refused by the RBAC), so none was left out of the check. Other
    // list/watch failures (the API server still starting: "storage is (re)initializing") are retried and harmless.
    const refused = lines.filter((line) => line.includes("list/watch failed") && /forbidden|403/i.test(line));
    expect(refused.map((l) => l.slice(0, 300))).toEqual([]);
    expect(controller.crashed()).toBe(false);
  }, 180_000);
});
