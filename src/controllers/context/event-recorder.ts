/**
 * Kubernetes Events (core/v1) on the objects users look at. Repeats of the same event (same object, type,
 * reason and message) are folded into one Event whose `count` and `lastTimestamp` are patched at most once per
 * interval, so a hot error loop costs the API server a write every few seconds, not one per reconcile. Writes
 * run in the background, paced like kubelet's (`eventRecordQPS` 50, `eventBurst` 100) so that a storm of Events
 * (every model of a namespace at once, when its ModelMesh goes or comes back) does not take the API server from
 * the status writes: `record` never blocks or fails a reconcile, and what the queue cannot hold is dropped.
 */
import { randomInt } from "node:crypto";
import os from "node:os";
import type { CoreV1Event, KubernetesObject } from "@kubernetes/client-node";
import { CORE_EVENTS } from "../../apis/resource-types.js";
import { isStatus, type KubeClient } from "../../controller-runtime/kube-client.js";
import { createLogger } from "../../controller-runtime/logging.js";
import { TokenBucketRateLimiter } from "../../controller-runtime/rate-limiter.js";
import type { EventRecorder, EventType } from "./context.js";

const log = createLogger("events");

/** `source.component` of the Events the controller records. */
export const EVENT_SOURCE_COMPONENT = "modelmesh-controller";
/** Events of cluster-scoped objects go to `default`, as client-go's recorder does. */
const CLUSTER_OBJECT_EVENT_NAMESPACE = "default";
const MAX_MESSAGE_LENGTH = 1024;

/** A Namespace's own Events live inside it (where `kubectl describe namespace` finds them). */
function eventNamespace(object: KubernetesObject): string {
  const { namespace, name } = object.metadata ?? {};
  if (namespace !== undefined && namespace !== "") return namespace;
  if (object.kind === "Namespace" && name !== undefined) return name;
  return CLUSTER_OBJECT_EVENT_NAMESPACE;
}

export interface EventRecorderOptions {
  client: Pick<KubeClient, "create" | "mergePatch">;
  component?: string;
  host?: string;
  /** The shortest time between two writes for the same event. */
  repeatIntervalMs?: number;
  /** Distinct events remembered for folding; the oldest are forgotten first. */
  maxRemembered?: number;
  /** Writes waiting their turn; beyond this new events are dropped (and logged), never queued unboundedly. */
  maxPendingWrites?: number;
  /** Event writes a second once the burst is spent (decision 0201). */
  writesPerSecond?: number;
  /** Event writes sent at once before the pace applies. */
  writeBurst?: number;
  now?: () => number;
}

interface Remembered {
  namespace: string;
  /** Name of the Event once created; undefined while the create is pending. */
  name: string | undefined;
  event: CoreV1Event;
  count: number;
  writtenCount: number;
  lastWrittenAt: number;
  flushTimer: NodeJS.Timeout | undefined;
}

export class AggregatingEventRecorder implements EventRecorder {
  readonly #client: Pick<KubeClient, "create" | "mergePatch">;
  readonly #component: string;
  readonly #host: string;
  readonly #repeatIntervalMs: number;
  readonly #maxRemembered: number;
  readonly #maxPendingWrites: number;
  readonly #now: () => number;
  readonly #pace: TokenBucketRateLimiter;
  readonly #remembered = new Map<string, Remembered>();
  #pendingWrites = 0;
  #tail: Promise<void> = Promise.resolve();
  #dropped = 0;

  constructor(options: EventRecorderOptions) {
    this.#client = options.client;
    this.#component = options.component ?? EVENT_SOURCE_COMPONENT;
    this.#host = options.host ?? os.hostname();
    this.#repeatIntervalMs = options.repeatIntervalMs ?? 10_000;
    this.#maxRemembered = options.maxRemembered ?? 4096;
    this.#maxPendingWrites = options.maxPendingWrites ?? 1000;
    this.#now = options.now ?? Date.now;
    this.#pace = new TokenBucketRateLimiter(options.writesPerSecond ?? 50, options.writeBurst ?? 100);
  }

  record(object: KubernetesObject, type: EventType, reason: string, message: string): void {
    try {
      this.#record(object, type, reason, message);
    } catch (error) {
      log.warn({ err: error, reason }, "could not record event");
    }
  }

  /** Resolves once every write queued so far has been sent (tests and shutdown). */
  async flush(): Promise<void> {
    for (const entry of this.#remembered.values()) {
      if (entry.flushTimer !== undefined) {
        clearTimeout(entry.flushTimer);
        entry.flushTimer = undefined;
        this.#enqueueWrite(entry);
      }
    }
    await this.#tail;
  }

  #record(object: KubernetesObject, type: EventType, reason: string, message: string): void {
    const metadata = object.metadata ?? {};
    const namespace = eventNamespace(object);
    const text =
      message.length > MAX_MESSAGE_LENGTH ? `${message.slice(0, MAX_MESSAGE_LENGTH - 3)}...` : message;
    const key = [namespace, object.kind, metadata.name, metadata.uid, type, reason, text].join("\u0000");
    const now = this.#now();
    const existing = this.#remembered.get(key);
    if (existing !== undefined) {
      existing.count++;
      existing.event.lastTimestamp = new Date(now);
      // Re-insert so the map's order stays least-recently-used first.
      this.#remembered.delete(key);
      this.#remembered.set(key, existing);
      this.#scheduleRepeat(existing);
      return;
    }
    const entry: Remembered = {
      namespace,
      name: undefined,
      count: 1,
      writtenCount: 0,
      lastWrittenAt: now,
      flushTimer: undefined,
      event: newEvent(
        object,
        namespace,
        type,
        reason,
        text,
        { component: this.#component, host: this.#host },
        now,
      ),
    };
    this.#remembered.set(key, entry);
    this.#forgetOldest();
    this.#enqueueWrite(entry);
  }

  /** Keeps at most `maxRemembered` Events to fold repeats into, dropping the least recently used. */
  #forgetOldest(): void {
    while (this.#remembered.size > this.#maxRemembered) {
      const oldest = this.#remembered.keys().next().value;
      if (oldest === undefined) break;
      const forgotten = this.#remembered.get(oldest);
      if (forgotten?.flushTimer !== undefined) clearTimeout(forgotten.flushTimer);
      this.#remembered.delete(oldest);
    }
  }

  #scheduleRepeat(entry: Remembered): void {
    if (entry.flushTimer !== undefined) return;
    const wait = Math.max(0, entry.lastWrittenAt + this.#repeatIntervalMs - this.#now());
    entry.flushTimer = setTimeout(() => {
      entry.flushTimer = undefined;
      this.#enqueueWrite(entry);
    }, wait);
    entry.flushTimer.unref();
  }

  #enqueueWrite(entry: Remembered): void {
    if (this.#pendingWrites >= this.#maxPendingWrites) {
      if (this.#dropped++ % 100 === 0)
        log.warn({ dropped: this.#dropped }, "too many events pending; dropping");
      return;
    }
    this.#pendingWrites++;
    this.#tail = this.#tail
      .then(() => this.#write(entry))
      .catch((error: unknown) => {
        log.warn(
          { err: error, reason: entry.event.reason, namespace: entry.namespace },
          "could not write event",
        );
      })
      .finally(() => {
        this.#pendingWrites--;
      });
  }

  async #write(entry: Remembered): Promise<void> {
    if (entry.count === entry.writtenCount) return;
    const wait = this.#pace.when("events");
    if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
    const count = entry.count;
    entry.lastWrittenAt = this.#now();
    if (entry.name !== undefined) {
      try {
        await this.#client.mergePatch(
          CORE_EVENTS,
          { namespace: entry.namespace, name: entry.name },
          { count, lastTimestamp: entry.event.lastTimestamp },
        );
        entry.writtenCount = count;
        return;
      } catch (error) {
        // The Event expired (events live an hour by default): start a fresh one.
        if (!isStatus(error, 404)) throw error;
        entry.event.metadata = {
          ...entry.event.metadata,
          name: eventName(entry.event.involvedObject.name, this.#now()),
        };
      }
    }
    const created = await this.#client.create(CORE_EVENTS, { ...entry.event, count });
    entry.name = created.metadata?.name ?? entry.event.metadata?.name;
    entry.writtenCount = count;
  }
}

let eventSequence = randomInt(1_000_000);

/**
 * client-go's Event name: the object's name and the time in nanoseconds, in hex. A millisecond clock has no
 * nanoseconds; a counter from a random start stands in for them, so that names stay unique within a process and
 * two processes rarely meet. (Eight random bytes per Event cost 0.3 s of CPU in a storm of a few thousand.)
 */
function eventName(objectName: string | undefined, now: number): string {
  eventSequence = (eventSequence + 1) % 1_000_000;
  return `${objectName ?? "object"}.${(BigInt(now) * 1_000_000n + BigInt(eventSequence)).toString(16)}`;
}

/** A new core/v1 Event about `object`, first seen `now`. */
function newEvent(
  object: KubernetesObject,
  namespace: string,
  type: EventType,
  reason: string,
  message: string,
  reporter: { component: string; host: string },
  now: number,
): CoreV1Event {
  const metadata = object.metadata ?? {};
  const timestamp = new Date(now);
  return {
    apiVersion: "v1",
    kind: "Event",
    metadata: {
      name: eventName(metadata.name, now),
      namespace,
    },
    involvedObject: {
      apiVersion: object.apiVersion,
      kind: object.kind,
      name: metadata.name,
      // The API server wants a Namespace's own Events to name it as their namespace too.
      ...(metadata.namespace !== undefined || object.kind === "Namespace" ? { namespace } : {}),
      ...(metadata.uid !== undefined ? { uid: metadata.uid } : {}),
      ...(metadata.resourceVersion !== undefined ? { resourceVersion: metadata.resourceVersion } : {}),
    },
    type,
    reason,
    message,
    source: { component: reporter.component, host: reporter.host },
    reportingComponent: reporter.component,
    reportingInstance: reporter.host,
    firstTimestamp: timestamp,
    lastTimestamp: timestamp,
    count: 1,
  };
}
