// Gathers the single sends that arrive within a few milliseconds into one call of a provider's batch API (Postmark
// takes up to 500 messages a call), and hands each sender back its own message's result.
export interface CoalescedResult<Out> {
  value?: Out;
  /** This message's own refusal inside an accepted call. */
  error?: unknown;
}

export class SendCoalescer<In, Out> {
  private waiting: { item: In; resolve: (value: Out) => void; reject: (error: unknown) => void }[] = [];
  private timer: NodeJS.Timeout | undefined;

  constructor(
    /** Sends one call; answers one result per item, in order, or rejects for the whole call. */
    private readonly sendBatch: (items: In[]) => Promise<CoalescedResult<Out>[]>,
    private readonly maxBatch: number,
    /** How long the first message waits for company: the batch sender's window hands messages over one by one. */
    private readonly lingerMs: number,
  ) {}

  send(item: In): Promise<Out> {
    return new Promise<Out>((resolve, reject) => {
      this.waiting.push({ item, resolve, reject });
      if (this.waiting.length >= this.maxBatch) this.flush();
      else this.timer ??= setTimeout(() => this.flush(), this.lingerMs);
    });
  }

  private flush(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    const batch = this.waiting.splice(0, this.maxBatch);
    if (this.waiting.length > 0) this.timer = setTimeout(() => this.flush(), this.lingerMs);
    if (batch.length === 0) return;
    this.sendBatch(batch.map((w) => w.item)).then(
      (results) => batch.forEach((w, i) => {
        const result = results[i];
        if (!result) w.reject(new Error(`the batch answered ${results.length} results for ${batch.length} messages`));
        else if (result.error !== undefined) w.reject(result.error);
        else w.resolve(result.value as Out);
      }),
      (error: unknown) => batch.forEach((w) => w.reject(error)),
    );
  }

  /** Sends what is waiting now; the calls in flight finish on their own. */
  drain(): void {
    while (this.waiting.length > 0) this.flush();
  }
}
