// A short memory of each message's last clicks, in this process only and for a couple of minutes, so the burst and
// canary rules can also take back the clicks a scanner made before it was recognised. Nothing here is ever stored.
import { isScanBurst, type MachineReason, type ReaderClick } from './machine-clicks.js';

interface Slot {
  clicks: Array<ReaderClick & { machine: boolean }>;
  /** Set by a canary click or a burst: later clicks of the message, for as long as it is remembered, are a machine's. */
  machine?: MachineReason;
  lastAt: number;
}

export interface BurstVerdict {
  /** Why this click is a machine's (undefined: a person's, as far as bursts tell). */
  machine?: MachineReason;
  /** Positions of this message's earlier clicks counted as a person's that now turn out to be the machine's. */
  reclassify: number[];
}

/** How long a message's clicks are remembered after its last one. */
const MEMORY_MS = 2 * 60_000;
/** At most this many messages remembered (oldest forgotten first): a burst of a million readers stays bounded. */
const MAX_SLOTS = 100_000;

export class ClickBursts {
  private readonly slots = new Map<string, Slot>();

  /** Records one click of a message (`slot`: its dispatch and delivery) and says what the burst rules make of it. */
  observe(slot: string, click: ReaderClick & { sentAt: Date; canary: boolean; machine?: MachineReason }): BurstVerdict {
    this.forgetOld(click.at);
    const known = this.slots.get(slot);
    const state: Slot = known && click.at - known.lastAt <= MEMORY_MS ? known : { clicks: [], lastAt: click.at };
    this.slots.delete(slot); // re-inserted below: the map stays ordered by last click
    state.lastAt = click.at;
    const entry = { at: click.at, position: click.position, machine: Boolean(click.machine) };
    state.clicks.push(entry);
    if (click.canary) state.machine = 'canary';
    else if (!state.machine && isScanBurst(state.clicks, click.sentAt)) state.machine = 'burst';
    const machine = click.machine ?? state.machine;
    entry.machine = Boolean(machine);
    const reclassify: number[] = [];
    if (state.machine) {
      for (const earlier of state.clicks) {
        if (earlier !== entry && !earlier.machine) {
          earlier.machine = true;
          reclassify.push(earlier.position);
        }
      }
    }
    this.slots.set(slot, state);
    return { machine, reclassify };
  }

  private forgetOld(now: number): void {
    for (const [key, slot] of this.slots) {
      if (this.slots.size <= MAX_SLOTS && now - slot.lastAt <= MEMORY_MS) break;
      this.slots.delete(key);
    }
  }
}
