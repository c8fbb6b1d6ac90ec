import { execFile } from "node:child_process";
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { afterEach, beforeEach, describe, expect, it } from "vitest";

const execFileAsync = promisify(execFile);
const SCRIPT = path.join(import.meta.dirname, "build-control-plane.sh");
const KUBERNETES_VERSION = /^KUBERNETES_VERSION=(\S+)$/m.exec(
  readFileSync(path.join(import.meta.dirname, "../test/support/control-plane/versions.env"), "utf8"),
)?.[1];

/**
 * A stand-in for the Go toolchain: it answers the script's `go env` and `go list` questions from a small
 * Kubernetes go.mod, and "compiles" by writing the output file (kube-apiserver after `FAKE_GO_APISERVER_S`), so the script's progress reporting
 * runs without a 10-minute build. `FAKE_GO_FAIL` names a package whose build fails.
 */
const FAKE_GO = `#!/usr/bin/env bash
set -euo pipefail
case "$1 \${2:-}" in
  "env GOVERSION") echo go1.26.1 ;;
  "env GOOS") echo linux ;;
  "env GOARCH") echo amd64 ;;
  "list -m") echo "$FAKE_KUBE_GOMOD" ;;
  "mod tidy") echo "tidy in $PWD" ;;
  build*)
    out=""; prev=""
    for arg in "$@"; do [ "$prev" = "-o" ] && out=$arg; prev=$arg; done
    target=\${!#}
    echo "compiling $target"
    [ "$target" = "\${FAKE_GO_FAIL:-}" ] && { echo "fake compile error in $target" >&2; exit 2; }
    [ "$target" = "k8s.io/kubernetes/cmd/kube-apiserver" ] && sleep "\${FAKE_GO_APISERVER_S:-0}"
    touch "$out" ;;
  *) echo "unexpected go $*" >&2; exit 3 ;;
esac
`;

const KUBE_GOMOD = `module k8s.io/kubernetes

go 1.26.0

require (
\tgo.etcd.io/etcd/client/v3 v3.6.8
\tk8s.io/api v0.0.0
)

replace (
\tk8s.io/api => ./staging/src/k8s.io/api
\tk8s.io/client-go => ./staging/src/k8s.io/client-go
)
`;

let dir: string;

beforeEach(() => {
  dir = mkdtempSync(path.join(tmpdir(), "build-control-plane-test-"));
  writeFileSync(path.join(dir, "go"), FAKE_GO);
  chmodSync(path.join(dir, "go"), 0o755);
  writeFileSync(path.join(dir, "kubernetes.go.mod"), KUBE_GOMOD);
});

afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

function build(env: Record<string, string> = {}) {
  return execFileAsync("bash", [SCRIPT], {
    env: {
      ...process.env,
      PATH: `${dir}:${process.env.PATH}`,
      MMS_CACHE_DIR: path.join(dir, "cache"),
      MMS_BUILD_PROGRESS_S: "1",
      FAKE_KUBE_GOMOD: path.join(dir, "kubernetes.go.mod"),
      ...env,
    },
  });
}

describe("scripts/build-control-plane.sh", () => {
  it("says what a first build takes, then each stage with its time, and prints only the bin directory", async () => {
    const { stdout, stderr } = await build({ FAKE_GO_APISERVER_S: "2.5" });
    const bin = stdout.trim();
    expect(bin).toBe(
      path.join(
        dir,
        "cache",
        "control-plane",
        `kubernetes-${KUBERNETES_VERSION}-etcd-v3.6.8-linux-amd64`,
        "bin",
      ),
    );
    for (const binary of ["kube-apiserver", "kubectl", "etcd"])
      expect(existsSync(path.join(bin, binary))).toBe(true);

    const lines = stderr.trim().split("\n");
    expect(lines[0]).toBe(
      "build-control-plane: building Kubernetes v1.36.3 and etcd v3.6.8, once per machine.",
    );
    expect(lines[1]).toMatch(
      /^build-control-plane: a first build takes about 10 minutes on 2 cores \(about 4 when Go's caches are warm\); log: .+\.build\.log$/,
    );
    const stages = [
      "[1/5] downloading Kubernetes' modules",
      "[2/5] compiling kube-apiserver",
      "[3/5] compiling kubectl",
      "[4/5] downloading etcd's modules",
      "[5/5] compiling etcd",
    ];
    for (const stage of stages) {
      expect(lines).toContain(`build-control-plane: ${stage}...`);
      expect(lines.some((line) => line.startsWith(`build-control-plane: ${stage}: done in `))).toBe(true);
    }
    // The 2.5 s "compile" of kube-apiserver is reported while it runs, with its own and the build's time.
    expect(lines).toContainEqual(
      expect.stringMatching(
        /^build-control-plane: \[2\/5\] compiling kube-apiserver: still running, [12] s \(build: \d+ s\)$/,
      ),
    );
    expect(lines.at(-1)).toMatch(new RegExp(`^build-control-plane: done in \\d+ s: ${bin}$`));
  });

  it("is silent on stderr once built", async () => {
    const first = await build();
    const second = await build();
    expect(second.stdout).toBe(first.stdout);
    expect(second.stderr).toBe("");
  });

  it("tells a second caller that it waits for the build in progress, then gives it the same directory", async () => {
    const first = build({ FAKE_GO_APISERVER_S: "1.5" });
    await new Promise((resolve) => setTimeout(resolve, 500));
    const second = await build();
    expect(second.stderr).toMatch(
      /^build-control-plane: another process is building the control plane; waiting for it \(its progress: tail -f .+\.build\.log\)\n$/,
    );
    expect(second.stdout).toBe((await first).stdout);
  });

  it("names the failed stage's command and shows the end of its log", async () => {
    const failed = await build({ FAKE_GO_FAIL: "k8s.io/kubernetes/cmd/kubectl" }).catch(
      (error: unknown) => error,
    );
    const { code, stderr } = failed as { code: number; stderr: string };
    expect(code).toBe(1);
    expect(stderr).toContain("build-control-plane: [3/5] compiling kubectl...");
    expect(stderr).toContain("fake compile error in k8s.io/kubernetes/cmd/kubectl");
    expect(stderr).toMatch(
      /build-control-plane: 'go build .* k8s\.io\/kubernetes\/cmd\/kubectl' failed \(full log: /,
    );
    expect(stderr).not.toContain("[4/5]");
  });
});
