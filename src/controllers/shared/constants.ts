/** Names the controller process itself relies on (not those of the objects it generates: see builders/constants). */

/** The user configuration: this ConfigMap in the controller namespace, key `config.yaml`. */
export const USER_CONFIG_MAP_NAME = "model-serving-config";

/** In cluster scope a namespace is served when it carries this label with the value `true`. */
export const MODELMESH_ENABLED_LABEL = "modelmesh-enabled";

/** The Lease of leader election (upstream's name, so old and new controllers never lead at once). */
export const LEADER_ELECTION_LEASE_NAME = "modelmesh-controller-leader-lock";

/** Namespace used when neither `NAMESPACE` nor the service-account namespace file says otherwise. */
export const DEFAULT_CONTROLLER_NAMESPACE = "model-serving";

/** Default name of the controller's own Deployment (env `CONTROLLER_DEPLOYMENT`). */
export const DEFAULT_CONTROLLER_DEPLOYMENT = "modelmesh-controller";

/** `source.component` of the Events the controller records. */
export const EVENT_SOURCE_COMPONENT = "modelmesh-controller";
