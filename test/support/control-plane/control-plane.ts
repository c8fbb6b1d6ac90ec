import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import https from "node:https";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { KubeConfig } from "@kubernetes/client-node";
import { stringify } from "yaml";
import { type ControlPlaneBinaries, controlPlaneBinaries } from "./binaries.js";
import {
  type CertificateAuthority,
  createCertificateAuthority,
  createSigningKeyPair,
  type KeyPairPem,
  loadCertificateAuthority,
} from "./certificates.js";
import { type RunningProcess, sleep, startProcess } from "./processes.js";

/** A one-member etcd on loopback: data in `dataDir`, no fsync (test data), warnings only. */
export function etcdArgs(dataDir: string, clientUrl: string, peerUrl: string): string[] {
  return [
    "--name=default",
    `--data-dir=${dataDir}`,
    `--listen-client-urls=${clientUrl}`,
    `--advertise-client-urls=${clientUrl}`,
    `--listen-peer-urls=${peerUrl}`,
    `--initial-advertise-peer-urls=${peerUrl}`,
    `--initial-cluster=default=${peerUrl}`,
    "--unsafe-no-fsync=true",
    "--log-level=warn",
  ];
}

export interface ControlPlaneOptions {
  /** Working directory for data, certificates, logs and kubeconfig; default a temp dir removed on stop. */
  dir?: string;
  /** Processes outlive this one (the local sandbox); otherwise they die with it. */
  detached?: boolean;
  /** Extra kube-apiserver flags, e.g. `--watch-cache=false`. */
  apiServerArgs?: string[];
  /** An audit policy (YAML); when set the API server writes `<dir>/audit.log`. */
  auditPolicy?: string;
  /** Where process logs go; default `<dir>/logs`. */
  logDir?: string;
}

interface Ports {
  etcdClient: number;
  etcdPeer: number;
  apiServer: number;
}

const READY_TIMEOUT_MS = 90_000;

/** A real etcd and kube-apiserver on loopback, with throwaway certificates and an admin kubeconfig. */
export class ControlPlane {
  readonly apiServerUrl: string;
  readonly etcdEndpoint: string;
  readonly kubeconfigPath: string;
  readonly caCertPem: string;
  private etcd: RunningProcess | undefined;
  private apiServer: RunningProcess | undefined;
  private loadedKubeConfig: KubeConfig | undefined;

  private constructor(
    readonly dir: string,
    private readonly ownsDir: boolean,
    private readonly binaries: ControlPlaneBinaries,
    private readonly ports: Ports,
    private readonly ca: CertificateAuthority,
    private readonly admin: { certPem: string; keyPem: string },
    private readonly options: ControlPlaneOptions,
  ) {
    this.apiServerUrl = `https://127.0.0.1:${ports.apiServer}`;
    this.etcdEndpoint = `http://127.0.0.1:${ports.etcdClient}`;
    this.kubeconfigPath = path.join(dir, "kubeconfig");
    this.caCertPem = ca.certPem;
  }

  static async start(options: ControlPlaneOptions = {}): Promise<ControlPlane> {
    const binaries = await controlPlaneBinaries();
    const ownsDir = options.dir === undefined;
    const dir = options.dir ?? mkdtempSync(path.join(os.tmpdir(), "mms-control-plane-"));
    mkdirSync(path.join(dir, "pki"), { recursive: true });
    mkdirSync(options.logDir ?? path.join(dir, "logs"), { recursive: true });

    const ca = await createCertificateAuthority("mms-local-ca");
    const serving = await ca.issue({
      commonName: "kube-apiserver",
      dnsNames: ["localhost", "kubernetes", "kubernetes.default", "kubernetes.default.svc"],
      ipAddresses: ["127.0.0.1", "10.0.0.1"],
      usage: "server",
    });
    const admin = await ca.issue({ commonName: "admin", organizations: ["system:masters"], usage: "client" });
    const serviceAccountKeys = await createSigningKeyPair();
    const pki = path.join(dir, "pki");
    writeFileSync(path.join(pki, "ca.crt"), ca.certPem);
    writeFileSync(path.join(pki, "ca.key"), ca.keyPem, { mode: 0o600 });
    writeFileSync(path.join(pki, "apiserver.crt"), serving.certPem);
    writeFileSync(path.join(pki, "apiserver.key"), serving.keyPem, { mode: 0o600 });
    writeFileSync(path.join(pki, "sa.key"), serviceAccountKeys.privatePem, { mode: 0o600 });
    writeFileSync(path.join(pki, "sa.pub"), serviceAccountKeys.publicPem);
    if (options.auditPolicy !== undefined)
      writeFileSync(path.join(dir, "audit-policy.yaml"), options.auditPolicy);

    const ports = { etcdClient: await freePort(), etcdPeer: await freePort(), apiServer: await freePort() };
    const plane = new ControlPlane(dir, ownsDir, binaries, ports, ca, admin, options);
    try {
      await plane.startEtcd();
      await plane.startApiServer();
      writeKubeconfig(plane.kubeconfigPath, plane.apiServerUrl, ca.certPem, "admin", admin);
    } catch (error) {
      await plane.stop();
      throw error;
    }
    return plane;
  }

  /** A client for the admin (system:masters) user. */
  get kubeConfig(): KubeConfig {
    if (!this.loadedKubeConfig) {
      this.loadedKubeConfig = new KubeConfig();
      this.loadedKubeConfig.loadFromFile(this.kubeconfigPath);
    }
    return this.loadedKubeConfig;
  }

  get pids(): Record<string, number> {
    const pids: Record<string, number> = {};
    if (this.etcd?.isRunning()) pids.etcd = this.etcd.pid;
    if (this.apiServer?.isRunning()) pids["kube-apiserver"] = this.apiServer.pid;
    return pids;
  }

  get logDir(): string {
    return this.options.logDir ?? path.join(this.dir, "logs");
  }

  /** A kubeconfig for a client-certificate user, for RBAC tests; returns its path. */
  userKubeconfig(user: string, groups: string[] = []): Promise<string> {
    return kubeconfigForUser(this.kubeconfigPath, user, groups);
  }

  /** Issues a serving certificate from the cluster CA (for webhooks the API server must trust). */
  issueServingCertificate(dnsNames: string[], ipAddresses: string[] = ["127.0.0.1"]) {
    return this.ca.issue({ commonName: dnsNames[0] ?? "localhost", dnsNames, ipAddresses, usage: "server" });
  }

  async restartApiServer(): Promise<void> {
    await this.apiServer?.stop();
    await this.startApiServer();
  }

  async restartEtcd(): Promise<void> {
    await this.etcd?.stop();
    await this.startEtcd();
  }

  /** Stops the API server, then etcd; removes the working directory when this control plane made it. */
  async stop(): Promise<void> {
    await this.apiServer?.stop();
    await this.etcd?.stop();
    if (this.ownsDir) rmSync(this.dir, { recursive: true, force: true });
  }

  private async startEtcd(): Promise<void> {
    const { etcdClient, etcdPeer } = this.ports;
    const client = `http://127.0.0.1:${etcdClient}`;
    const peer = `http://127.0.0.1:${etcdPeer}`;
    this.etcd = startProcess({
      name: "etcd",
      command: this.binaries.etcd,
      args: etcdArgs(path.join(this.dir, "etcd-data"), client, peer),
      logFile: path.join(this.logDir, "etcd.log"),
      detached: this.options.detached ?? false,
    });
    await waitUntilReady(this.etcd, path.join(this.logDir, "etcd.log"), () => httpOk(`${client}/health`));
  }

  private async startApiServer(): Promise<void> {
    const pki = path.join(this.dir, "pki");
    const args = [
      "--advertise-address=127.0.0.1",
      "--bind-address=127.0.0.1",
      `--secure-port=${this.ports.apiServer}`,
      `--etcd-servers=${this.etcdEndpoint}`,
      `--cert-dir=${pki}`,
      `--tls-cert-file=${path.join(pki, "apiserver.crt")}`,
      `--tls-private-key-file=${path.join(pki, "apiserver.key")}`,
      `--client-ca-file=${path.join(pki, "ca.crt")}`,
      "--service-account-issuer=https://kubernetes.default.svc",
      `--service-account-key-file=${path.join(pki, "sa.pub")}`,
      `--service-account-signing-key-file=${path.join(pki, "sa.key")}`,
      "--service-cluster-ip-range=10.0.0.0/24",
      "--allow-privileged=true",
      "--authorization-mode=RBAC",
      // No controller-manager runs here, so nothing would create the service accounts this plugin demands.
      "--disable-admission-plugins=ServiceAccount",
      ...(this.options.auditPolicy !== undefined
        ? [
            `--audit-policy-file=${path.join(this.dir, "audit-policy.yaml")}`,
            `--audit-log-path=${path.join(this.dir, "audit.log")}`,
          ]
        : []),
      ...(this.options.apiServerArgs ?? []),
    ];
    const logFile = path.join(this.logDir, "kube-apiserver.log");
    this.apiServer = startProcess({
      name: "kube-apiserver",
      command: this.binaries.kubeApiServer,
      args,
      logFile,
      detached: this.options.detached ?? false,
    });
    await waitUntilReady(this.apiServer, logFile, () => this.apiServerReady());
  }

  private apiServerReady(): Promise<boolean> {
    return new Promise((resolve) => {
      const request = https.get(
        `${this.apiServerUrl}/readyz`,
        { ca: this.ca.certPem, cert: this.admin.certPem, key: this.admin.keyPem, timeout: 2000 },
        (response) => {
          response.resume();
          resolve(response.statusCode === 200);
        },
      );
      request.on("error", () => resolve(false));
      request.on("timeout", () => request.destroy());
    });
  }
}

/**
 * A kubeconfig for a client-certificate user of the control plane whose admin kubeconfig is given (the CA is
 * read from beside it), for RBAC tests in processes that did not start the plane. Returns its path.
 */
export async function kubeconfigForUser(adminKubeconfigPath: string, user: string, groups: string[] = []) {
  const dir = path.dirname(adminKubeconfigPath);
  const ca = await loadCertificateAuthority(
    readFileSync(path.join(dir, "pki", "ca.crt"), "utf8"),
    readFileSync(path.join(dir, "pki", "ca.key"), "utf8"),
  );
  const server = new KubeConfig();
  server.loadFromFile(adminKubeconfigPath);
  const url = server.getCurrentCluster()?.server ?? "";
  const credentials = await ca.issue({ commonName: user, organizations: groups, usage: "client" });
  const file = path.join(dir, `kubeconfig-${user.replace(/[^a-zA-Z0-9_.-]/g, "_")}`);
  writeKubeconfig(file, url, ca.certPem, user, credentials);
  return file;
}

function writeKubeconfig(file: string, server: string, caPem: string, user: string, credentials: KeyPairPem) {
  const b64 = (text: string) => Buffer.from(text).toString("base64");
  const config = {
    apiVersion: "v1",
    kind: "Config",
    clusters: [{ name: "local", cluster: { server, "certificate-authority-data": b64(caPem) } }],
    users: [
      {
        name: user,
        user: {
          "client-certificate-data": b64(credentials.certPem),
          "client-key-data": b64(credentials.keyPem),
        },
      },
    ],
    contexts: [{ name: "local", context: { cluster: "local", user } }],
    "current-context": "local",
  };
  writeFileSync(file, stringify(config), { mode: 0o600 });
}

export function startControlPlane(options: ControlPlaneOptions = {}): Promise<ControlPlane> {
  return ControlPlane.start(options);
}

async function waitUntilReady(
  process: RunningProcess,
  logFile: string,
  probe: () => Promise<boolean>,
): Promise<void> {
  const deadline = Date.now() + READY_TIMEOUT_MS;
  while (Date.now() < deadline) {
    if (!process.isRunning()) {
      throw new Error(
        `${process.name} exited during start-up (${await process.exited}).\n${explainLog(logFile)}`,
      );
    }
    if (await probe()) return;
    await sleep(200);
  }
  await process.stop();
  throw new Error(
    `${process.name} was not ready after ${READY_TIMEOUT_MS / 1000} s.\n${explainLog(logFile)}`,
  );
}

function explainLog(logFile: string): string {
  let tail = "";
  try {
    tail = readFileSync(logFile, "utf8").trim().split("\n").slice(-15).join("\n");
  } catch {
    return `(no log at ${logFile})`;
  }
  const hint = /address already in use/.test(tail)
    ? "A port was taken by another process between choosing and binding it: run the command again."
    : `Its log is ${logFile}; the last lines:`;
  return `${hint}\n${tail}`;
}

async function httpOk(url: string): Promise<boolean> {
  try {
    const response = await fetch(url, { signal: AbortSignal.timeout(2000) });
    return response.ok;
  } catch {
    return false;
  }
}

/** A loopback port nobody listens on right now. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.on("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      const port = typeof address === "object" && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}
