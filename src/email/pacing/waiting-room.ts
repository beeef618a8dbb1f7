// Claimed readers of one batch run waiting for their provider group's turn. Each group keeps only what it can take
// within the hold (its rate over that time, its connection cap); the rest go back to pending for a later run, so a
// slow group never fills the run. No I/O: the pacer answers every question.
import type { PaceTicket, ProviderPacer } from './provider-pacer.js';

export interface Waiting<T> {
  row: T;
  group: string;
}

export class WaitingRoom<T> {
  private readonly waiting: Waiting<T>[] = [];

  constructor(private readonly pacer: ProviderPacer, private readonly holdMs: number) {}

  get size(): number {
    return this.waiting.length;
  }

  add(row: T, group: string): void {
    this.waiting.push({ row, group });
  }

  /** Takes out, in claim order, what each group cannot take within the hold (everything with `all`). */
  shed(all = false): Waiting<T>[] {
    const counts = new Map<string, number>();
    const shed: Waiting<T>[] = [];
    for (let i = 0; i < this.waiting.length;) {
      const w = this.waiting[i];
      const n = (counts.get(w.group) ?? 0) + 1;
      counts.set(w.group, n);
      if (all || n > this.pacer.capacityWithin(w.group, this.holdMs)) shed.push(...this.waiting.splice(i, 1));
      else i++;
    }
    return shed;
  }

  /** Takes out, in claim order, up to `room` readers whose group may start one now (starting each with the pacer). */
  startable(room: number): (Waiting<T> & { ticket: PaceTicket })[] {
    const ready: (Waiting<T> & { ticket: PaceTicket })[] = [];
    for (let i = 0; i < this.waiting.length && ready.length < room;) {
      if (this.pacer.waitMs(this.waiting[i].group) === 0) {
        const [w] = this.waiting.splice(i, 1);
        // Started at once, so the next reader of its group sees the group's turn taken.
        ready.push({ ...w, ticket: this.pacer.start(w.group) });
      } else i++;
    }
    return ready;
  }

  /** Groups that should not be claimed for now: waiting out a throttle, or already holding all they can take. */
  fullGroups(): Set<string> {
    const counts = new Map<string, number>();
    for (const w of this.waiting) counts.set(w.group, (counts.get(w.group) ?? 0) + 1);
    const full = this.pacer.pausedBeyond(this.holdMs);
    for (const [group, n] of counts) if (n >= this.pacer.capacityWithin(group, this.holdMs)) full.add(group);
    return full;
  }

  /** How soon the next waiting reader's group has a turn by the clock; undefined when all wait for a free slot. */
  nextTurnMs(): number | undefined {
    const turns = this.waiting.map((w) => this.pacer.waitMs(w.group)).filter(Number.isFinite);
    return turns.length > 0 ? Math.min(...turns) : undefined;
  }
}
