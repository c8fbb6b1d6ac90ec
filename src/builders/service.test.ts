import { describe, expect, it } from "vitest";
import { expectGolden } from "../../test/support/runtimes/golden.js";
import { parseUserConfigYaml } from "../config/parse-user-config.js";
import { defaultServingConfig, type ServingConfig } from "../config/serving-config.js";
import { buildModelMeshService } from "./service.js";
import { buildServiceMonitor, wantsServiceMonitor } from "./service-monitor.js";

function configFrom(yamlText: string): ServingConfig {
  const result = parseUserConfigYaml(yamlText);
  if (!result.ok) throw new Error(result.error);
  return result.value.config;
}

const namespaceOwner = {
  apiVersion: "v1",
  kind: "Namespace",
  name: "team-a",
  uid: "5f1d2c3b-4a59-4e8f-9a1b-2c3d4e5f6a7b",
  controller: true,
  blockOwnerDeletion: true,
};

describe("buildModelMeshService", () => {
  it("is headless with grpc, http and prometheus ports by default", () => {
    expectGolden(
      import.meta.url,
      "service-default",
      buildModelMeshService("team-a", defaultServingConfig(), namespaceOwner),
    );
  });

  it("has only the grpc port, and a cluster IP, when the REST proxy, metrics and headlessness are off", () => {
    const service = buildModelMeshService(
      "team-a",
      configFrom(
        "restProxy: {enabled: false}\nmetrics: {enabled: false}\nheadlessService: false\ninferenceServicePort: 9000",
      ),
      namespaceOwner,
    );
    expect(service.spec).toEqual({
      selector: { "modelmesh-service": "modelmesh-serving" },
      ports: [{ name: "grpc", port: 9000, protocol: "TCP", targetPort: "grpc" }],
    });
  });

  it("follows the configured service name and ports", () => {
    const service = buildModelMeshService(
      "team-a",
      configFrom("inferenceServiceName: mesh\nrestProxy: {port: 9008}\nmetrics: {port: 9112}"),
      namespaceOwner,
    );
    expect(service.metadata?.name).toBe("mesh");
    expect(service.metadata?.labels?.["modelmesh-service"]).toBe("mesh");
    expect(service.spec?.ports?.map((port) => [port.name, port.port])).toEqual([
      ["grpc", 8033],
      ["http", 9008],
      ["prometheus", 9112],
    ]);
  });
});

describe("ServiceMonitor", () => {
  it("scrapes the prometheus port of the namespace's runtime pods", () => {
    const serviceOwner = {
      apiVersion: "v1",
      kind: "Service",
      name: "modelmesh-serving",
      uid: "u-1",
      controller: true,
      blockOwnerDeletion: true,
    };
    expectGolden(
      import.meta.url,
      "service-monitor",
      buildServiceMonitor("team-a", configFrom("metrics: {scheme: http}"), serviceOwner),
    );
  });

  it.each([
    ["", true],
    ["metrics: {enabled: false}", false],
    ["metrics: {disablePrometheusOperatorSupport: true}", false],
  ])("is wanted with %j: %s", (configText, expected) => {
    expect(wantsServiceMonitor(configFrom(configText))).toBe(expected);
  });
});
