/** A grpc-js resolver that dials the ready addresses of the ModelMesh Service's EndpointSlices. */
import { type ChannelOptions, experimental, status } from "@grpc/grpc-js";
import { type MeshAddress, sameAddresses } from "./endpoint-slices.js";

/**
 * A grpc-js name resolver fed by the controller instead of DNS: the controller watches the EndpointSlices of the
 * `modelmesh-serving` Service and pushes the ready addresses into an {@link EndpointSource}; every channel built
 * on that source sees the change at once and round-robins over the new set without being rebuilt.
 *
 * Target: `modelmesh-endpoints:///<service>.<namespace>:<port>`; its host part is the authority, so TLS verifies
 * the certificate against `<service>.<namespace>`. The channel option {@link SOURCE_OPTION} names the source.
 */
export const RESOLVER_SCHEME = "modelmesh-endpoints";
export const SOURCE_OPTION = "modelmesh.endpoint_source";

/** The current ready addresses of one Service port; `undefined` until the first update. */
export class EndpointSource {
  private addresses: readonly MeshAddress[] | undefined;
  private readonly listeners = new Set<() => void>();

  get current(): readonly MeshAddress[] | undefined {
    return this.addresses;
  }

  set(addresses: readonly MeshAddress[]): void {
    if (this.addresses && sameAddresses(this.addresses, addresses)) return;
    this.addresses = [...addresses];
    for (const listener of this.listeners) listener();
  }

  subscribe(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
}

const sources = new Map<number, EndpointSource>();
let lastSourceId = 0;

/** Makes a source reachable from channel options; the returned function forgets it again. */
export function publishSource(source: EndpointSource): { options: ChannelOptions; unpublish: () => void } {
  const id = ++lastSourceId;
  sources.set(id, source);
  return { options: { [SOURCE_OPTION]: id }, unpublish: () => sources.delete(id) };
}

class EndpointSourceResolver implements experimental.Resolver {
  private readonly source: EndpointSource | undefined;
  private unsubscribe: (() => void) | undefined;
  /** The list last handed to the channel; re-resolution requests are answered only when it changed. */
  private reported: readonly MeshAddress[] | undefined;

  constructor(
    private readonly target: experimental.GrpcUri,
    private readonly listener: experimental.ResolverListener,
    options: ChannelOptions,
  ) {
    this.source = sources.get(Number(options[SOURCE_OPTION]));
  }

  updateResolution(): void {
    if (!this.source) {
      process.nextTick(
        this.listener,
        experimental.statusOrFromError({
          code: status.UNAVAILABLE,
          details: `no endpoint source for ${this.target.path} (client closed?)`,
        }),
        {},
        null,
        "",
      );
      return;
    }
    if (this.unsubscribe) return; // already subscribed: changes are pushed as they come
    this.unsubscribe = this.source.subscribe(() => this.report());
    setImmediate(() => this.report());
  }

  destroy(): void {
    this.unsubscribe?.();
    this.unsubscribe = undefined;
    this.reported = undefined;
  }

  private report(): void {
    if (!this.unsubscribe) return;
    const addresses = this.source?.current ?? [];
    if (this.reported === addresses) return;
    this.reported = addresses;
    const endpoints = addresses.map((a) => ({ addresses: [{ host: a.host, port: a.port }] }));
    this.listener(experimental.statusOrFromValue(endpoints), {}, null, "");
  }

  static getDefaultAuthority(target: experimental.GrpcUri): string {
    return target.path;
  }
}

experimental.registerResolver(RESOLVER_SCHEME, EndpointSourceResolver);
