// The zod field types environment variables share: config.ts and each network's definition declare theirs with them.
import { z } from 'zod';

/** A variable that may be unset; blank counts as unset. */
export const optionalString = z
  .string()
  .trim()
  .transform((v) => (v === '' ? undefined : v))
  .optional();

/** An absolute URL; the example goes into the message an operator reads. */
export const url = (example: string) =>
  z.string().trim().url({ message: `must be a URL like ${example}` });
