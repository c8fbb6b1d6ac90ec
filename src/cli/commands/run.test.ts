import { describe, expect, it } from "vitest";
import { RUN_OPTIONS } from "../../../test/support/controller/run-options.js";
import { deploymentFromPodName, parseAddress, parseRunOptions, runCommand } from "./run.js";

describe("modelmesh-serving run options", () => {
  it("defaults to upstream's addresses, no leader election and cluster scope", () => {
    const parsed = parseRunOptions([], {});
    expect(parsed).toEqual({
      kind: "run",
      options: {
        kubeconfig: undefined,
        metrics: { host: undefined, port: 8080 },
        health: { host: undefined, port: 8081 },
        leaderElection: undefined,
        webhookPort: 9443,
        webhookCertDir: "/tmp/k8s-webhook-server/serving-certs",
        workers: 2,
        scope: "cluster",
        namespace: undefined,
        controllerDeploymentName: "modelmesh-controller",
        etcdSecretName: undefined,
        featureEnv: { ENABLE_ISVC_WATCH: undefined, ENABLE_CSR_WATCH: undefined },
      },
    });
  });

  it("reads the leader election flags in seconds and the environment", () => {
    const parsed = parseRunOptions(
      [
        "--enable-leader-election",
        "--leader-elect-lease-duration-sec",
        "30",
        "--leader-elect-lease-renew-deadline-sec=20",
        "--leader-elect-retry-period-sec",
        "5",
        "--metrics-addr",
        "127.0.0.1:9090",
        "--health-probe-bind-address",
        "0",
        "--workers",
        "4",
      ],
      {
        NAMESPACE: "mm",
        NAMESPACE_SCOPE: "true",
        POD_NAME: "my-controller-5d8f7c9b6-x2x9z",
        ETCD_SECRET_NAME: "etcd",
        ENABLE_ISVC_WATCH: "false",
      },
    );
    expect(parsed).toMatchObject({
      kind: "run",
      options: {
        leaderElection: {
          type: "lease",
          leaseDurationMs: 30_000,
          renewDeadlineMs: 20_000,
          retryPeriodMs: 5_000,
        },
        metrics: { host: "127.0.0.1", port: 9090 },
        health: undefined,
        workers: 4,
        scope: "namespace",
        namespace: "mm",
        controllerDeploymentName: "my-controller",
        etcdSecretName: "etcd",
        featureEnv: { ENABLE_ISVC_WATCH: "false" },
      },
    });
  });

  it("takes the leader-for-life lock type with the pod from the downward API", () => {
    const parsed = parseRunOptions(["--enable-leader-election", "--leader-elect-type=life"], {
      POD_NAME: "modelmesh-controller-6c9f-abcde",
      POD_NAMESPACE: "mm",
    });
    expect(parsed).toMatchObject({
      kind: "run",
      options: {
        leaderElection: {
          type: "life",
          podName: "modelmesh-controller-6c9f-abcde",
          podNamespace: "mm",
          retryPeriodMs: 2_000,
        },
      },
    });
    expect(parseRunOptions(["--enable-leader-election", "--leader-elect-type", "life"], {})).toMatchObject({
      kind: "input",
    });
  });

  it("exits 1 with upstream's message for an unknown lock type", async () => {
    let err = "";
    const code = await runCommand.run(["--enable-leader-election", "--leader-elect-type=configmap"], {
      stdout: () => undefined,
      stderr: (t) => (err += t),
      env: {},
      cwd: "/",
    });
    expect(code).toBe(1);
    expect(err).toBe("Invalid value for leader-elect-type: 'configmap'. Use 'lease' or 'life'\n");
  });

  it("refuses lease timings a leader could not keep its promise with", () => {
    expect(
      parseRunOptions(
        [
          "--enable-leader-election",
          "--leader-elect-lease-duration-sec=10",
          "--leader-elect-lease-renew-deadline-sec=10",
        ],
        {},
      ),
    ).toMatchObject({ kind: "usage" });
  });

  it("prefers CONTROLLER_DEPLOYMENT over the pod name", () => {
    const parsed = parseRunOptions([], { CONTROLLER_DEPLOYMENT: "explicit", POD_NAME: "a-b-c" });
    expect(parsed).toMatchObject({ kind: "run", options: { controllerDeploymentName: "explicit" } });
    expect(deploymentFromPodName("modelmesh-controller-6c9f-abcde")).toBe("modelmesh-controller");
    expect(deploymentFromPodName("standalone")).toBeUndefined();
  });

  it("refuses bad values with the flag's name", () => {
    expect(parseRunOptions(["--workers", "0"], {})).toEqual({
      kind: "usage",
      error: '--workers: expected a positive integer, got "0"',
    });
    expect(parseRunOptions(["--metrics-addr", "localhost:http"], {})).toMatchObject({ kind: "usage" });
    expect(parseRunOptions(["--no-such-flag"], {})).toMatchObject({ kind: "usage" });
    expect(parseAddress("metrics-addr", "[::1]:8080")).toEqual({
      ok: true,
      value: { host: "::1", port: 8080 },
    });
  });

  it("documents every flag and env variable in --help", async () => {
    let out = "";
    const code = await runCommand.run(["--help"], {
      stdout: (t) => (out += t),
      stderr: () => undefined,
      env: {},
      cwd: "/",
    });
    expect(code).toBe(0);
    for (const name of RUN_OPTIONS) {
      expect(out).toContain(name);
    }
  });
});
