// A dispatch's priority: `breaking` goes ahead of everything queued, on every queue its steps use.
export const DISPATCH_PRIORITIES = ['normal', 'breaking'] as const;
export type DispatchPriority = (typeof DISPATCH_PRIORITIES)[number];

/**
 * BullMQ's `priority` for a step of a dispatch (lower runs first). BullMQ runs jobs with no priority (0) before any
 * prioritised one, so every dispatch step carries one: otherwise ordinary steps would still go first.
 */
export function jobPriority(priority: DispatchPriority): number {
  return priority === 'breaking' ? 1 : 10;
}
