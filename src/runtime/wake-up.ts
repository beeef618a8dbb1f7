// One promise a loop waits on and anything it cares about resolves (a message answered, a claim or a write back):
// the loop waits for "something changed" without attaching a handler to every promise it holds on each pass.
export class WakeUp {
  private resolve: () => void = () => {};
  private next: Promise<void> = this.fresh();

  /** Resolves at the next `notify()` (at once if one came since the last `wait()` returned its promise). */
  wait(): Promise<void> {
    return this.next;
  }

  notify(): void {
    this.resolve();
  }

  /** Called by the loop before it looks at its state, so a notify during the look is not missed. */
  reset(): void {
    this.next = this.fresh();
  }

  private fresh(): Promise<void> {
    return new Promise<void>((resolve) => (this.resolve = resolve));
  }
}
