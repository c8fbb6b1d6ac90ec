import { describe, expect, it } from "vitest";
import { parseUserConfig, parseUserConfigYaml } from "./parse-user-config.js";
import { defaultServingConfig, type ServingConfig } from "./serving-config.js";

function configOf(yamlText: string): ServingConfig {
  const result = parseUserConfigYaml(yamlText);
  if (!result.ok) throw new Error(result.error);
  return result.value.config;
}

function errorOf(yamlText: string): string {
  const result = parseUserConfigYaml(yamlText);
  if (result.ok) throw new Error(`expected an error for ${yamlText}`);
  return result.error;
}

describe("defaults", () => {
  it("every key has upstream's effective default", () => {
    expect(defaultServingConfig()).toEqual({
      inferenceServiceName: "modelmesh-serving",
      inferenceServicePort: 8033,
      podsPerRuntime: 2,
      headlessService: true,
      tls: { secretName: "", clientAuth: "" },
      grpcMaxMessageSizeBytes: 16777216,
      modelMeshImage: { name: "kserve/modelmesh", tag: "latest", digest: "", command: [] },
      modelMeshResources: {
        requests: { cpu: "300m", memory: "448Mi" },
        limits: { cpu: "3", memory: "448Mi" },
      },
      restProxy: {
        enabled: true,
        port: 8008,
        skipVerify: false,
        image: { name: "kserve/rest-proxy", tag: "latest", digest: "", command: [] },
        resources: { requests: { cpu: "50m", memory: "96Mi" }, limits: { cpu: "1", memory: "512Mi" } },
      },
      storageHelperImage: {
        name: "kserve/modelmesh-runtime-adapter",
        tag: "latest",
        digest: "",
        command: ["/opt/app/puller"],
      },
      storageHelperResources: {
        requests: { cpu: "50m", memory: "96Mi" },
        limits: { cpu: "2", memory: "512Mi" },
      },
      storageSecretName: "storage-config",
      serviceAccountName: "",
      enableAccessLogging: false,
      builtInServerTypes: ["triton", "mlserver", "ovms", "torchserve"],
      payloadProcessors: [],
      metrics: { enabled: true, port: 2112, scheme: "https", disablePrometheusOperatorSupport: false },
      scaleToZero: { enabled: true, gracePeriodSeconds: 60 },
      runtimePodLabels: {},
      runtimePodAnnotations: {},
      imagePullSecrets: [],
      allowAnyPVC: false,
      internalModelMeshEnvVars: [],
      modelMeshEndpoint: "",
      etcdSecretName: "",
    } satisfies ServingConfig);
  });

  it.each(["", "# only a comment\n", "{}", "~"])("an empty config.yaml (%j) yields the defaults", (text) => {
    expect(configOf(text)).toEqual(defaultServingConfig());
  });

  it("hands out independent copies", () => {
    const first = defaultServingConfig();
    first.builtInServerTypes.push("mine");
    expect(defaultServingConfig().builtInServerTypes).toEqual(["triton", "mlserver", "ovms", "torchserve"]);
  });
});

describe("every key can be set", () => {
  const cases: [string, (config: ServingConfig) => unknown, unknown][] = [
    ["inferenceServiceName: my-mesh", (c) => c.inferenceServiceName, "my-mesh"],
    ["inferenceServicePort: 9033", (c) => c.inferenceServicePort, 9033],
    ["podsPerRuntime: 1", (c) => c.podsPerRuntime, 1],
    ["headlessService: false", (c) => c.headlessService, false],
    ["tls: {secretName: mm-tls}", (c) => c.tls, { secretName: "mm-tls", clientAuth: "" }],
    ["tls: {clientAuth: require}", (c) => c.tls.clientAuth, "require"],
    ["grpcMaxMessageSizeBytes: 33554432", (c) => c.grpcMaxMessageSizeBytes, 33554432],
    [
      "modelMeshImage: {name: my/mm}",
      (c) => c.modelMeshImage,
      { name: "my/mm", tag: "latest", digest: "", command: [] },
    ],
    ["modelMeshImage: {tag: v0.11}", (c) => c.modelMeshImage.tag, "v0.11"],
    ["modelMeshImage: {digest: 'sha256:ab'}", (c) => c.modelMeshImage.digest, "sha256:ab"],
    [
      "modelMeshResources: {limits: {cpu: '4'}}",
      (c) => c.modelMeshResources,
      { requests: { cpu: "300m", memory: "448Mi" }, limits: { cpu: "4", memory: "448Mi" } },
    ],
    ["modelMeshResources: {requests: {memory: 1Gi}}", (c) => c.modelMeshResources.requests.memory, "1Gi"],
    ["restProxy: {enabled: false}", (c) => [c.restProxy.enabled, c.restProxy.port], [false, 8008]],
    ["restProxy: {port: 9008}", (c) => c.restProxy.port, 9008],
    ["restProxy: {skipVerify: true}", (c) => c.restProxy.skipVerify, true],
    [
      "restProxy: {image: {name: my/rp, tag: v1}}",
      (c) => c.restProxy.image.name + c.restProxy.image.tag,
      "my/rpv1",
    ],
    [
      "restProxy: {resources: {limits: {memory: 1Gi}}}",
      (c) => c.restProxy.resources.limits,
      { cpu: "1", memory: "1Gi" },
    ],
    ["storageHelperImage: {name: my/adapter}", (c) => c.storageHelperImage.command, ["/opt/app/puller"]],
    [
      "storageHelperImage: {command: [/bin/pull, -v]}",
      (c) => c.storageHelperImage.command,
      ["/bin/pull", "-v"],
    ],
    ["storageHelperResources: {requests: {cpu: 100m}}", (c) => c.storageHelperResources.requests.cpu, "100m"],
    ["storageSecretName: my-storage", (c) => c.storageSecretName, "my-storage"],
    ["serviceAccountName: modelmesh", (c) => c.serviceAccountName, "modelmesh"],
    ["enableAccessLogging: true", (c) => c.enableAccessLogging, true],
    ["builtInServerTypes: [triton]", (c) => c.builtInServerTypes, ["triton"]],
    ["payloadProcessors: [http://a/b, logger://]", (c) => c.payloadProcessors, ["http://a/b", "logger://"]],
    ["metrics: {enabled: false}", (c) => c.metrics.enabled, false],
    ["metrics: {port: 2113, scheme: http}", (c) => [c.metrics.port, c.metrics.scheme], [2113, "http"]],
    [
      "metrics: {disablePrometheusOperatorSupport: true}",
      (c) => c.metrics.disablePrometheusOperatorSupport,
      true,
    ],
    ["scaleToZero: {enabled: false}", (c) => c.scaleToZero, { enabled: false, gracePeriodSeconds: 60 }],
    ["scaleToZero: {gracePeriodSeconds: 5}", (c) => c.scaleToZero.gracePeriodSeconds, 5],
    ["runtimePodLabels: {team: a}", (c) => c.runtimePodLabels, { team: "a" }],
    ["runtimePodAnnotations: {note: b}", (c) => c.runtimePodAnnotations, { note: "b" }],
    [
      "imagePullSecrets: [{name: reg1}, {name: reg2}]",
      (c) => c.imagePullSecrets,
      [{ name: "reg1" }, { name: "reg2" }],
    ],
    ["allowAnyPVC: true", (c) => c.allowAnyPVC, true],
    [
      "internalModelMeshEnvVars: [{name: BOOTSTRAP_CLEARANCE_PERIOD_MS, value: '0'}]",
      (c) => c.internalModelMeshEnvVars,
      [{ name: "BOOTSTRAP_CLEARANCE_PERIOD_MS", value: "0" }],
    ],
    ["modelMeshEndpoint: localhost:8033", (c) => c.modelMeshEndpoint, "localhost:8033"],
    ["etcdSecretName: my-etcd", (c) => c.etcdSecretName, "my-etcd"],
  ];
  it.each(cases)("%s", (yamlText, read, expected) => {
    expect(read(configOf(yamlText))).toEqual(expected);
  });

  it("setting one key leaves every other key at its default", () => {
    expect(configOf("podsPerRuntime: 1")).toEqual({ ...defaultServingConfig(), podsPerRuntime: 1 });
  });

  it("an env var may come from a field reference", () => {
    const config = configOf(
      "internalModelMeshEnvVars: [{name: NODE, valueFrom: {fieldRef: {fieldPath: spec.nodeName}}}]",
    );
    expect(config.internalModelMeshEnvVars).toEqual([
      { name: "NODE", valueFrom: { fieldRef: { fieldPath: "spec.nodeName" } } },
    ]);
  });
});

describe("key spelling", () => {
  it("matches configuration keys regardless of case, at every depth", () => {
    const config = configOf(
      "PODSPERRUNTIME: 4\nRestProxy:\n  ENABLED: false\n  Image: {NAME: x}\nTLS: {SecretName: s}",
    );
    expect(config.podsPerRuntime).toBe(4);
    expect(config.restProxy.enabled).toBe(false);
    expect(config.restProxy.image.name).toBe("x");
    expect(config.tls.secretName).toBe("s");
  });

  it("matches keys inside list items regardless of case", () => {
    expect(configOf("imagePullSecrets: [{Name: reg}]").imagePullSecrets).toEqual([{ name: "reg" }]);
  });

  it("keeps label and annotation keys exactly, dots, slashes and case included", () => {
    const config = configOf(
      "runtimePodLabels: {example.com/Team: a, foo.bar: b}\nruntimePodAnnotations: {Sidecar.Istio.IO/inject: 'false'}",
    );
    expect(config.runtimePodLabels).toEqual({ "example.com/Team": "a", "foo.bar": "b" });
    expect(config.runtimePodAnnotations).toEqual({ "Sidecar.Istio.IO/inject": "false" });
  });

  it("reports keys it does not know and otherwise ignores them", () => {
    const result = parseUserConfigYaml("podsPerRuntime: 3\nbogus: 1\nmetrics: {what: 2}");
    expect(result).toMatchObject({ ok: true, value: { unknownKeys: ["bogus", "metrics.what"] } });
  });

  it("treats an empty value as not set", () => {
    expect(configOf("podsPerRuntime:\nmetrics:\n  port:\n")).toEqual(defaultServingConfig());
  });

  it("resolves YAML merge keys", () => {
    expect(
      configOf("base: &b {cpu: '1'}\nmodelMeshResources: {limits: {<<: *b}}").modelMeshResources.limits.cpu,
    ).toBe("1");
  });
});

describe("weak typing as upstream's decoder", () => {
  it.each([
    ["podsPerRuntime: '3'", (c: ServingConfig) => c.podsPerRuntime, 3],
    ["headlessService: 'false'", (c: ServingConfig) => c.headlessService, false],
    ["headlessService: 0", (c: ServingConfig) => c.headlessService, false],
    ["restProxy: {enabled: 'T'}", (c: ServingConfig) => c.restProxy.enabled, true],
    ["modelMeshImage: {tag: 2}", (c: ServingConfig) => c.modelMeshImage.tag, "2"],
    ["modelMeshResources: {limits: {cpu: 4}}", (c: ServingConfig) => c.modelMeshResources.limits.cpu, "4"],
    [
      "builtInServerTypes: triton,mlserver",
      (c: ServingConfig) => c.builtInServerTypes,
      ["triton", "mlserver"],
    ],
    ["runtimePodLabels: {tier: 1}", (c: ServingConfig) => c.runtimePodLabels, { tier: "1" }],
  ])("%s", (yamlText, read, expected) => {
    expect(read(configOf(yamlText))).toEqual(expected);
  });
});

describe("errors", () => {
  it("requires the config.yaml key", () => {
    expect(parseUserConfig({ "config.yml": "podsPerRuntime: 1" })).toEqual({
      ok: false,
      error: "User ConfigMap must contain a key named config.yaml",
    });
    expect(parseUserConfig(undefined)).toEqual({
      ok: false,
      error: "User ConfigMap must contain a key named config.yaml",
    });
  });

  it("reads the config.yaml key of the ConfigMap data", () => {
    expect(parseUserConfig({ "config.yaml": "podsPerRuntime: 5" })).toMatchObject({
      ok: true,
      value: { config: { podsPerRuntime: 5 } },
    });
  });

  it.each([
    ["podsPerRuntime: none", `Invalid config for 'podsPerRuntime': expected an integer >= 0, got "none"`],
    ["podsPerRuntime: -1", "Invalid config for 'podsPerRuntime': expected an integer >= 0, got -1"],
    ["podsPerRuntime: 1.5", "Invalid config for 'podsPerRuntime': expected an integer >= 0, got 1.5"],
    [
      "inferenceServicePort: 0",
      "Invalid config for 'inferenceServicePort': expected an integer from 1 to 65535, got 0",
    ],
    [
      "metrics: {port: 70000}",
      "Invalid config for 'metrics.port': expected an integer from 1 to 65535, got 70000",
    ],
    ["headlessService: maybe", `Invalid config for 'headlessService': expected true or false, got "maybe"`],
    ["tls: on", `Invalid config for 'tls': expected a mapping, got "on"`],
    ["inferenceServiceName: [a]", "Invalid config for 'inferenceServiceName': expected a string, got a list"],
    [
      "builtInServerTypes: {a: 1}",
      "Invalid config for 'builtInServerTypes': expected a list of strings, got a mapping",
    ],
    [
      "runtimePodLabels: [a]",
      "Invalid config for 'runtimePodLabels': expected a mapping of strings, got a list",
    ],
    ["imagePullSecrets: reg", `Invalid config for 'imagePullSecrets': expected a list, got "reg"`],
    [
      "imagePullSecrets: [reg]",
      `Invalid config for 'imagePullSecrets.0': expected {name: <secret>}, got "reg"`,
    ],
    [
      "internalModelMeshEnvVars: [{value: x}]",
      "Invalid config for 'internalModelMeshEnvVars.0.name': expected a string, got nothing",
    ],
    ["[1, 2]", "config.yaml must be a YAML mapping of configuration keys"],
    ["just text", "config.yaml must be a YAML mapping of configuration keys"],
  ])("%s ⇒ %s", (yamlText, message) => {
    expect(errorOf(yamlText)).toBe(message);
  });

  it("reports YAML syntax errors", () => {
    expect(errorOf("a: [")).toMatch(/^Error parsing config\.yaml: /);
    expect(errorOf("a: 1\na: 2")).toMatch(/^Error parsing config\.yaml: .*unique/);
  });

  const quantityError =
    "Cannot parse '%s' as a quantity: quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'";
  it.each([
    ["modelMeshResources: {limits: {cpu: lots}}", "ModelMeshResources", "Limits.CPU"],
    ["modelMeshResources: {limits: {memory: 1GB}}", "ModelMeshResources", "Limits.Memory"],
    ["modelMeshResources: {requests: {cpu: x}}", "ModelMeshResources", "Requests.CPU"],
    ["modelMeshResources: {requests: {memory: ''}}", "ModelMeshResources", "Requests.Memory"],
    ["restProxy: {resources: {limits: {cpu: x}}}", "RESTProxy.Resources", "Limits.CPU"],
    ["restProxy: {resources: {requests: {memory: x}}}", "RESTProxy.Resources", "Requests.Memory"],
    ["storageHelperResources: {limits: {memory: x}}", "StorageHelperResources", "Limits.Memory"],
    ["storageHelperResources: {requests: {cpu: x}}", "StorageHelperResources", "Requests.CPU"],
  ])("%s ⇒ quantity error for %s %s", (yamlText, section, field) => {
    expect(errorOf(yamlText)).toBe(`Invalid config for '${section}': ${quantityError.replace("%s", field)}`);
  });

  it("refuses a payload processor containing a space", () => {
    expect(errorOf("payloadProcessors: [http://ok, 'http://bad host']")).toBe(
      "Error parsing payload processor 'http://bad host': endpoint must not contain spaces.",
    );
  });
});
