/**
 * The fixed names, label keys, ports, paths and env names of the objects generated for ModelMesh runtimes.
 * Users and the upstream images depend on every one of them, so each lives here once.
 */

/** Label keys and values put on generated objects. */
export const LABELS = {
  /** Value of the app.kubernetes.io labels below. */
  controllerName: "modelmesh-controller",
  instance: "app.kubernetes.io/instance",
  managedBy: "app.kubernetes.io/managed-by",
  appName: "app.kubernetes.io/name",
  /** Valued with the Service name; selects every runtime pod of a namespace. */
  modelMeshService: "modelmesh-service",
  /** Valued with the Deployment name; selects the pods of one runtime. */
  name: "name",
  /** Put on a runtime's HorizontalPodAutoscaler. */
  component: "component",
  componentPredictor: "predictor",
} as const;

/** The three `app.kubernetes.io` labels every controller-made object carries. */
export function controllerLabels(): Record<string, string> {
  return {
    [LABELS.instance]: LABELS.controllerName,
    [LABELS.managedBy]: LABELS.controllerName,
    [LABELS.appName]: LABELS.controllerName,
  };
}

/** Ports inside a runtime pod (besides the configurable Service, REST proxy and metrics ports). */
export const PORTS = {
  /** Standalone storage helper (puller) gRPC. */
  puller: 8086,
  /** Built-in adapter gRPC when the runtime names no `grpcEndpoint`. */
  defaultAdapter: 8085,
  /** model-mesh `/ready` and `/live`. */
  modelMeshProbe: 8089,
  /** `/prestop` served by model-mesh for the other containers. */
  preStop: 8090,
} as const;

/** Container and port names. */
export const CONTAINERS = {
  modelMesh: "mm",
  restProxy: "rest-proxy",
  puller: "puller",
  adapterSuffix: "-adapter",
} as const;

export const PORT_NAMES = {
  grpc: "grpc",
  http: "http",
  prometheus: "prometheus",
} as const;

/** Pod volume names. */
export const VOLUMES = {
  modelsDir: "models-dir",
  domainSocket: "domain-socket",
  storageConfig: "storage-config",
  typeConstraints: "tc-config",
  etcdConfig: "etcd-config",
  tlsCerts: "tls-certs",
} as const;

/** Paths inside the containers. */
export const PATHS = {
  modelsDir: "/models",
  pvcMountsDir: "/pvc_mounts",
  storageConfigDir: "/storage-config",
  modelMeshConfigDir: "/etc/watson/mmesh/config",
  typeConstraintsFile: "/etc/watson/mmesh/config/type_constraints",
  dataplaneConfigFile: "/etc/watson/mmesh/config/dataplane_api_config",
  etcdDir: "/opt/kserve/mmesh/etcd",
  etcdConnectionFile: "/opt/kserve/mmesh/etcd/etcd_connection",
  tlsDir: "/opt/kserve/mmesh/tls",
  tlsCert: "/opt/kserve/mmesh/tls/tls.crt",
  tlsKey: "/opt/kserve/mmesh/tls/tls.key",
  tlsCa: "/opt/kserve/mmesh/tls/ca.crt",
  modelMeshStopScript: "/opt/kserve/mmesh/stop.sh",
  adapterBinaryDir: "/opt/app",
  readinessPath: "/ready",
  livenessPath: "/live",
  preStopPath: "/prestop",
  metricsPath: "/metrics",
} as const;

/** Names of generated objects and of keys inside them. */
export const OBJECTS = {
  typeConstraintsConfigMap: "tc-config",
  typeConstraintsKey: "type_constraints",
  dataplaneConfigKey: "dataplane_api_config",
  etcdConnectionKey: "etcd_connection",
  serviceMonitor: "modelmesh-metrics-monitor",
  tlsCaKey: "ca.crt",
} as const;

/** Env var names set on the generated containers. */
export const ENV = {
  serviceName: "MM_SERVICE_NAME",
  serviceGrpcPort: "MM_SVC_GRPC_PORT",
  podName: "WKUBE_POD_NAME",
  podIp: "WKUBE_POD_IPADDR",
  location: "MM_LOCATION",
  kvStore: "KV_STORE",
  metrics: "MM_METRICS",
  shutdownTimeout: "SHUTDOWN_TIMEOUT_MS",
  servingGrpcPort: "INTERNAL_SERVING_GRPC_PORT",
  servingGrpcSocket: "INTERNAL_SERVING_GRPC_SOCKET_PATH",
  internalGrpcPort: "INTERNAL_GRPC_PORT",
  internalGrpcSocket: "INTERNAL_GRPC_SOCKET_PATH",
  logEachInvoke: "MM_LOG_EACH_INVOKE",
  maxMessageSize: "MM_SVC_GRPC_MAX_MSG_SIZE",
  kvStorePrefix: "MM_KVSTORE_PREFIX",
  defaultVModelOwner: "MM_DEFAULT_VMODEL_OWNER",
  payloadProcessors: "MM_PAYLOAD_PROCESSORS",
  labels: "MM_LABELS",
  typeConstraintsPath: "MM_TYPE_CONSTRAINTS_PATH",
  dataplaneConfigPath: "MM_DATAPLANE_CONFIG_PATH",
  tlsKeyCertPath: "MM_TLS_KEY_CERT_PATH",
  tlsPrivateKeyPath: "MM_TLS_PRIVATE_KEY_PATH",
  tlsClientAuth: "MM_TLS_CLIENT_AUTH",
  tlsTrustCertPath: "MM_TLS_TRUST_CERT_PATH",
  adapterPort: "ADAPTER_PORT",
  runtimePort: "RUNTIME_PORT",
  runtimeDataEndpoint: "RUNTIME_DATA_ENDPOINT",
  containerMemoryRequest: "CONTAINER_MEM_REQ_BYTES",
  memoryBuffer: "MEM_BUFFER_BYTES",
  loadTimeout: "LOADTIME_TIMEOUT",
  useEmbeddedPuller: "USE_EMBEDDED_PULLER",
  runtimeVersion: "RUNTIME_VERSION",
  loadingConcurrency: "LOADING_CONCURRENCY",
  perModelConcurrency: "LIMIT_PER_MODEL_CONCURRENCY",
  restProxyListenPort: "REST_PROXY_LISTEN_PORT",
  restProxyGrpcPort: "REST_PROXY_GRPC_PORT",
  restProxyUseTls: "REST_PROXY_USE_TLS",
  restProxyMaxMessageSize: "REST_PROXY_GRPC_MAX_MSG_SIZE_BYTES",
  restProxySkipVerify: "REST_PROXY_SKIP_VERIFY",
  pullerPort: "PORT",
  modelServerEndpoint: "MODEL_SERVER_ENDPOINT",
  rootModelDir: "ROOT_MODEL_DIR",
  storageConfigDir: "STORAGE_CONFIG_DIR",
  pvcMountsDir: "PVC_MOUNTS_DIR",
} as const;

/** Fixed values of the model-mesh container. */
export const MODEL_MESH = {
  kvStorePrefix: "mm",
  defaultVModelOwner: "ksp",
  terminationGracePeriodSeconds: 90,
  metricsDisabled: "disabled",
} as const;
