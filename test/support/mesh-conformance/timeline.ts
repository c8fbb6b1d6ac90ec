/**
 * TEST INFRASTRUCTURE — the recordings' time axis mapped onto a replay's clock. The replay runs `scale` times
 * faster; each call it sends anchors the recording's instant of that call to the epoch it was sent at, so a lag of
 * the replay does not count against the emulator. A recorded instant is mapped from the last anchor before it.
 * Whole hours are kept unscaled: `lu` = now − 1 h is an hour before the scaled "now".
 */
const HOUR_MS = 3_600_000;

export class Timeline {
  private readonly anchors: Array<{ readonly t: number; readonly epoch: number }> = [];

  constructor(
    readonly scale: number,
    start: number,
  ) {
    this.anchors.push({ t: 0, epoch: start });
  }

  /** The recorded instant `t` happened, in the replay, at `epoch`. */
  anchor(t: number, epoch: number): void {
    this.anchors.push({ t, epoch });
  }

  /** The epoch the replay should show for the recorded instant `t`. */
  epochOf(t: number): number {
    const hours = Math.round(t / HOUR_MS);
    const within = t - hours * HOUR_MS;
    let anchor = this.anchors[0] ?? { t: 0, epoch: 0 };
    for (const candidate of this.anchors)
      if (candidate.t <= within && candidate.t >= anchor.t) anchor = candidate;
    return anchor.epoch + (within - anchor.t) * this.scale + hours * HOUR_MS;
  }
}
