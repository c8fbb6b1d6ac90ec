/** What `modelmesh-serving run` accepts; its --help must show every one, and the install sets some of them. */

/** The environment the kustomize install gives the manager container, in its order. */
export const RUN_INSTALL_ENV = [
  "NAMESPACE",
  "POD_NAME",
  "POD_NAMESPACE",
  "CONTROLLER_DEPLOYMENT",
  "ETCD_SECRET_NAME",
  "NAMESPACE_SCOPE",
];

/** Every flag and environment variable of `run`, as its --help names them. */
export const RUN_OPTIONS = [
  "--kubeconfig",
  "--metrics-addr",
  "--health-probe-bind-address",
  "--enable-leader-election",
  "--leader-elect-type",
  "--leader-elect-lease-duration-sec",
  "--leader-elect-lease-renew-deadline-sec",
  "--leader-elect-retry-period-sec",
  "--webhook-port",
  "--webhook-cert-dir",
  "--workers",
  "-h, --help",
  ...RUN_INSTALL_ENV,
  "ENABLE_ISVC_WATCH",
  "ENABLE_CSR_WATCH",
  "DEV_MODE_LOGGING",
  "LOG_LEVEL",
];
