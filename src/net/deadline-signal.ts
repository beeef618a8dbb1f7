// A request deadline that fires even after a garbage collection. On Node 20, a signal made by
// `AbortSignal.any([AbortSignal.timeout(ms)])` holds its timeout signal only weakly: a full collection while the
// request waits takes the timeout away, and a request to a server that never answers then hangs forever (measured:
// fetch to a silent port with gc() every 50 ms still waiting after 4 s on a 1 s deadline; a plain
// `AbortSignal.timeout` and this one both fire at 1 s). The timer below holds the controller strongly until it fires.

/** A signal that aborts with a TimeoutError after `ms`, or as soon as `also` aborts. */
export function deadlineSignal(ms: number, also?: AbortSignal | null): AbortSignal {
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(new DOMException(`request timed out after ${ms} ms`, 'TimeoutError')), ms);
  // The deadline alone must not keep a process alive that has nothing else to do.
  timer.unref();
  if (also) {
    if (also.aborted) controller.abort(also.reason);
    else also.addEventListener('abort', () => controller.abort(also.reason), { once: true });
  }
  controller.signal.addEventListener('abort', () => clearTimeout(timer), { once: true });
  return controller.signal;
}
