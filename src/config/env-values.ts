// The zod building blocks of settings read from the environment, shared by src/config and every registered
// definition (email transports) that declares its own settings.
import { z } from 'zod';

/** A string whose blank value means unset, as in a shell. */
export const optionalString = z
  .string()
  .trim()
  .transform((v) => (v === '' ? undefined : v))
  .optional();

export const url = (example: string) =>
  z.string().trim().url({ message: `must be a URL like ${example}` });

export const positiveInt = (fallback: number) => z.coerce.number().int().positive().default(fallback);

/** A problem with one variable, as ConfigError reports it. */
export interface SettingProblem {
  variable: string;
  message: string;
}
