// Keeps a long send's heap near what it really holds. V8 lets the old generation grow to a multiple of what the
// last full collection left before it collects again, and sizes that from the machine's memory, not the process's
// needs: a worker that holds ~30 MB grows to ~130 MB of heap over a 30,000-message send, nearly all of it garbage
// promoted from messages that were in flight during a scavenge. The flags that change the growth
// (`--max-old-space-size`, `--heap-growing-percent`) only work on the command line, which an operator should not
// have to know about. So the process watches its own heap and asks for a full collection when it grew by more
// than the budget since the last one: a collection of a ~30 MB heap takes 5–60 ms, at most once a second.
// Forced collections are also why request deadlines go through src/net/deadline-signal.ts.
import v8 from 'node:v8';
import vm from 'node:vm';

export interface HeapCollection {
  /** Heap in use just before the collection, in bytes. */
  beforeBytes: number;
  /** Heap in use just after it: what the process really holds. */
  afterBytes: number;
  durationMs: number;
}

export interface HeapBudgetOptions {
  /** Growth of the used heap since the last collection that triggers the next one, in bytes. */
  budgetBytes: number;
  /** How often the heap is looked at (a look is a few microseconds). Default 1000. */
  intervalMs?: number;
  onCollected?(collection: HeapCollection): void;
}

export interface HeapBudget {
  /** Looks at the heap now (the timer calls this); true when it collected. */
  check(): boolean;
  stop(): void;
}

type CollectGarbage = () => void;

let collector: CollectGarbage | undefined;

/**
 * V8's `gc()`, as `--expose-gc` would give it. The flag, set after start-up, only affects contexts created after it,
 * so a fresh context hands the function over; it collects the whole isolate's heap, this context's included.
 */
function collectGarbage(): CollectGarbage {
  if (collector) return collector;
  const exposed = (globalThis as { gc?: CollectGarbage }).gc;
  if (typeof exposed === 'function') return (collector = exposed);
  v8.setFlagsFromString('--expose-gc');
  return (collector = vm.runInNewContext('gc') as CollectGarbage);
}

const usedHeapBytes = () => v8.getHeapStatistics().used_heap_size;

export function startHeapBudget(options: HeapBudgetOptions): HeapBudget {
  const gc = collectGarbage();
  let floor = usedHeapBytes();
  const check = () => {
    const beforeBytes = usedHeapBytes();
    // V8's own full collections lower the floor as well; growth is counted from the lowest point seen.
    floor = Math.min(floor, beforeBytes);
    if (beforeBytes - floor < options.budgetBytes) return false;
    const started = performance.now();
    gc();
    floor = usedHeapBytes();
    options.onCollected?.({ beforeBytes, afterBytes: floor, durationMs: performance.now() - started });
    return true;
  };
  const timer = setInterval(check, options.intervalMs ?? 1000);
  timer.unref();
  return { check, stop: () => clearInterval(timer) };
}
