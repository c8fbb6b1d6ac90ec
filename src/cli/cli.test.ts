import { spawnSync } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import type { KubernetesObject, V1ConfigMap, V1Deployment, V1Service } from "@kubernetes/client-node";
import { describe, expect, it } from "vitest";
import { parseAllDocuments } from "yaml";
import { expectGolden } from "../../test/support/runtimes/golden.js";
import { runCli } from "./cli.js";
import { COMMIT_ENV, VERSION_ENV } from "./commands/version.js";

const repositoryRoot = join(dirname(fileURLToPath(import.meta.url)), "..", "..");
const builtInRuntimes = join(repositoryRoot, "config", "runtimes");
const fixtures = join(repositoryRoot, "test", "fixtures", "runtimes");

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

async function cli(args: string[], env: Record<string, string> = {}): Promise<Run> {
  let stdout = "";
  let stderr = "";
  const code = await runCli(args, {
    stdout: (text) => {
      stdout += text;
    },
    stderr: (text) => {
      stderr += text;
    },
    env,
    cwd: repositoryRoot,
  });
  return { code, stdout, stderr };
}

function objects(stdout: string): KubernetesObject[] {
  return parseAllDocuments(stdout).flatMap((document) => ("toJS" in document ? [document.toJS()] : []));
}

function summary(stdout: string): string[] {
  return objects(stdout).map((o) => `${o.kind} ${o.metadata?.namespace}/${o.metadata?.name}`);
}

function tempFile(name: string, content: string): string {
  const file = join(mkdtempSync(join(tmpdir(), "mm-render-")), name);
  writeFileSync(file, content);
  return file;
}

describe("render", () => {
  it("prints the Service, tc-config and one Deployment per built-in runtime", async () => {
    const run = await cli(["render", "-f", builtInRuntimes]);
    expect(run).toMatchObject({ code: 0, stderr: "" });
    expect(summary(run.stdout)).toEqual([
      "Service modelmesh-serving/modelmesh-serving",
      "ConfigMap modelmesh-serving/tc-config",
      "Deployment modelmesh-serving/modelmesh-serving-mlserver-1.x",
      "Deployment modelmesh-serving/modelmesh-serving-ovms-1.x",
      "Deployment modelmesh-serving/modelmesh-serving-torchserve-0.x",
      "Deployment modelmesh-serving/modelmesh-serving-triton-2.x",
    ]);
    expectGolden(import.meta.url, "render-built-in-runtimes", objects(run.stdout));
  });

  it("renders into the namespace given, with a user config.yaml", async () => {
    const config = tempFile("config.yaml", "restProxy:\n  enabled: false\npodsPerRuntime: 1\n");
    const run = await cli([
      "render",
      "--config",
      config,
      "-n",
      "team-a",
      "-f",
      join(builtInRuntimes, "triton-2.x.yaml"),
    ]);
    expect(run.code).toBe(0);
    const [service, , deployment] = objects(run.stdout) as [V1Service, V1ConfigMap, V1Deployment];
    expect(service.metadata?.namespace).toBe("team-a");
    expect(service.spec?.ports?.map((port) => port.name)).toEqual(["grpc", "prometheus"]);
    expect(deployment.spec?.replicas).toBe(1);
    expect(deployment.spec?.template.spec?.containers.map((c) => c.name)).toEqual([
      "triton-adapter",
      "triton",
      "mm",
    ]);
  });

  it("accepts the model-serving-config ConfigMap as --config", async () => {
    const config = tempFile(
      "cm.yaml",
      "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: model-serving-config\ndata:\n  config.yaml: |\n    inferenceServiceName: mesh\n",
    );
    const run = await cli(["render", "-c", config, "-f", join(builtInRuntimes, "ovms-1.x.yaml")]);
    expect(summary(run.stdout)).toEqual([
      "Service modelmesh-serving/mesh",
      "ConfigMap modelmesh-serving/tc-config",
      "Deployment modelmesh-serving/mesh-ovms-1.x",
    ]);
  });

  it("keeps ServingRuntimes in their namespace; one hides a ClusterServingRuntime of the same name", async () => {
    const overriding = tempFile(
      "runtimes.yaml",
      [
        "apiVersion: serving.kserve.io/v1alpha1\nkind: ServingRuntime\nmetadata: {name: mlserver-1.x, namespace: modelmesh-serving}",
        "spec:\n  multiModel: true\n  grpcEndpoint: port:8001\n  storageHelper: {disabled: true}\n  containers: [{name: mine, image: mine:1}]",
        "---",
        "apiVersion: serving.kserve.io/v1alpha1\nkind: ServingRuntime\nmetadata: {name: single-model, namespace: other}",
        "spec:\n  supportedModelFormats: [{name: onnx, autoSelect: true}]\n  containers: [{name: s, image: s:1}]",
        "---",
        "apiVersion: v1\nkind: List\nitems:\n- apiVersion: serving.kserve.io/v1alpha1\n  kind: ServingRuntime",
        "  metadata: {name: off, namespace: other}\n  spec: {multiModel: true, disabled: true, containers: []}",
        "",
      ].join("\n"),
    );
    const run = await cli(["render", "-f", join(builtInRuntimes, "mlserver-1.x.yaml"), "-f", overriding]);
    expect(run.code).toBe(0);
    expect(summary(run.stdout)).toEqual([
      "Service modelmesh-serving/modelmesh-serving",
      "ConfigMap modelmesh-serving/tc-config",
      "Deployment modelmesh-serving/modelmesh-serving-mlserver-1.x",
      "Service other/modelmesh-serving",
      "ConfigMap other/tc-config",
    ]);
    const deployment = objects(run.stdout)[2] as V1Deployment;
    expect(deployment.metadata?.ownerReferences?.[0]?.kind).toBe("ServingRuntime");
    expect(deployment.spec?.template.spec?.containers.map((c) => c.name)).toEqual([
      "rest-proxy",
      "mine",
      "mm",
    ]);
  });

  it("adds the HPA of an hpa-class runtime, starting at min-scale replicas", async () => {
    const file = tempFile(
      "autoscaled.yaml",
      [
        "apiVersion: serving.kserve.io/v1alpha1\nkind: ServingRuntime\nmetadata:\n  name: scaled",
        "  annotations: {serving.kserve.io/autoscalerClass: hpa, serving.kserve.io/min-scale: '2', serving.kserve.io/max-scale: '5'}",
        "spec: {multiModel: true, grpcEndpoint: 'port:8001', containers: [{name: c, image: c:1}]}",
        "",
      ].join("\n"),
    );
    const run = await cli(["render", "-f", file]);
    expect(run.code).toBe(0);
    expect(summary(run.stdout).slice(2)).toEqual([
      "Deployment modelmesh-serving/modelmesh-serving-scaled",
      "HorizontalPodAutoscaler modelmesh-serving/modelmesh-serving-scaled",
    ]);
    expect((objects(run.stdout)[2] as V1Deployment).spec?.replicas).toBe(2);
  });

  it("notes documents of other kinds on stderr and renders the rest", async () => {
    const run = await cli([
      "render",
      "-f",
      join(fixtures, "custom-runtime-puller.yaml"),
      "-f",
      tempFile("p.yaml", "kind: Predictor\nmetadata: {name: p}\n"),
    ]);
    expect(run.code).toBe(0);
    expect(run.stderr).toMatch(
      /^skipping .*p\.yaml: Predictor p: not a ServingRuntime or ClusterServingRuntime\n$/,
    );
    expect(summary(run.stdout)).toContain("Deployment team-a/modelmesh-serving-custom-runtime-1.x");
  });

  it.each([
    [
      "a runtime the controller refuses",
      "kind: ServingRuntime\nmetadata: {name: bad}\nspec: {multiModel: true, containers: [{name: mm, image: x}]}\n",
      "ServingRuntime bad (%FILE%): Invalid runtime Spec: container spec for mm is invalid: container name mm is reserved for internal use\n",
    ],
    [
      "a runtime the builder refuses",
      "kind: ServingRuntime\nmetadata: {name: bad}\nspec: {multiModel: true, grpcEndpoint: 'unix:/a/x', grpcDataEndpoint: 'unix:/b/y', containers: [{name: c, image: x}]}\n",
      /^ServingRuntime bad \(.*\): (Only one unix domain socket path is allowed|Invalid runtime Spec)/,
    ],
    ["broken YAML", "kind: [\n", /^.*bad\.yaml: /],
    ["a document without kind", "metadata: {name: x}\n", /bad\.yaml: not a Kubernetes object \(no kind\)\n$/],
    [
      "a runtime without spec",
      "kind: ClusterServingRuntime\nmetadata: {name: x}\n",
      /ClusterServingRuntime x has no spec\n$/,
    ],
    [
      "no runtime at all",
      "kind: Predictor\nmetadata: {name: x}\n",
      /no ServingRuntime or ClusterServingRuntime found\n$/,
    ],
  ])("exits 1 with the message for %s", async (_, content, message) => {
    const file = tempFile("bad.yaml", content);
    const run = await cli(["render", "-f", file]);
    expect(run.code).toBe(1);
    expect(run.stdout).toBe("");
    if (typeof message === "string") expect(run.stderr).toBe(message.replace("%FILE%", file));
    else expect(run.stderr).toMatch(message);
  });

  it.each([
    ["podsPerRuntime: none\n", "Invalid config for 'podsPerRuntime': expected an integer >= 0, got \"none\""],
    ["kind: ConfigMap\ndata: {other: x}\n", "User ConfigMap must contain a key named config.yaml"],
  ])("exits 1 for an invalid config %j", async (content, message) => {
    const config = tempFile("config.yaml", content);
    const run = await cli(["render", "--config", config, "-f", builtInRuntimes]);
    expect(run).toEqual({ code: 1, stdout: "", stderr: `${config}: ${message}\n` });
  });

  it("exits 1 for files that do not exist", async () => {
    const run = await cli(["render", "-f", "no/such/dir"]);
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/^cannot read no\/such\/dir: ENOENT/);
  });

  it.each([[["render"]], [["render", "--bogus", "-f", "x"]], [["render", "-f"]]])(
    "exits 2 with usage for %j",
    async (args) => {
      const run = await cli(args);
      expect(run.code).toBe(2);
      expect(run.stderr).toContain("Usage: modelmesh-serving render");
    },
  );
});

describe("command line", () => {
  it.each([["render"], ["version"]])("%s --help prints its usage", async (command) => {
    const run = await cli([command, "--help"]);
    expect(run).toMatchObject({ code: 0, stderr: "" });
    expect(run.stdout).toContain(`Usage: modelmesh-serving ${command}`);
  });

  it("lists the commands with --help, and exits 2 without a command or with an unknown one", async () => {
    expect((await cli(["--help"])).stdout).toMatch(/render .*\n.*version /);
    expect(await cli([])).toMatchObject({ code: 2, stdout: "" });
    const unknown = await cli(["frobnicate"]);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/^unknown command "frobnicate"/);
  });

  it("version prints the stamped version and commit", async () => {
    expect(await cli(["version"], { [VERSION_ENV]: "1.2.3", [COMMIT_ENV]: "abc1234" })).toEqual({
      code: 0,
      stdout: "modelmesh-serving 1.2.3 (commit abc1234)\n",
      stderr: "",
    });
  });

  it("version falls back to the package version and an unknown commit", async () => {
    const { version } = (await import("../../package.json", { with: { type: "json" } })).default;
    expect((await cli(["version"])).stdout).toBe(`modelmesh-serving ${version} (commit unknown)\n`);
  });
});

describe("the modelmesh-serving executable", () => {
  const run = (args: string[]) =>
    spawnSync(process.execPath, ["--import", "tsx", join(repositoryRoot, "src", "cli", "main.ts"), ...args], {
      cwd: repositoryRoot,
      encoding: "utf8",
      env: { ...process.env, [VERSION_ENV]: "", [COMMIT_ENV]: "" },
    });

  it("renders runtimes to stdout", () => {
    const result = run(["render", "-f", "config/runtimes/torchserve-0.x.yaml"]);
    expect(result.stderr).toBe("");
    expect(result.status).toBe(0);
    expect(summary(result.stdout)).toEqual([
      "Service modelmesh-serving/modelmesh-serving",
      "ConfigMap modelmesh-serving/tc-config",
      "Deployment modelmesh-serving/modelmesh-serving-torchserve-0.x",
    ]);
  });

  it("exits non-zero with the message on stderr for invalid input", () => {
    const result = run([
      "render",
      "-f",
      tempFile("bad.yaml", "kind: ServingRuntime\nmetadata: {name: b}\nspec: 3\n"),
    ]);
    expect(result.status).toBe(1);
    expect(result.stdout).toBe("");
    expect(result.stderr).toMatch(/ServingRuntime b has no spec\n$/);
  });

  it("starts with a node shebang that sizes V8 for a small heap (decision 0141)", async () => {
    const { readFileSync } = await import("node:fs");
    expect(
      readFileSync(join(repositoryRoot, "src", "cli", "main.ts"), "utf8").startsWith(
        "#!/usr/bin/env -S node --optimize-for-size\n",
      ),
    ).toBe(true);
  });
});
