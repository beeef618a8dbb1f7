// What time it is for the parts of Herald that follow the calendar (the digest schedulers): the system clock in
// production; tests give Herald a clock set to the moment they need (a day on which daylight saving changes).
export interface Clock {
  /** Milliseconds since the epoch, as Date.now(). */
  now(): number;
}

export const systemClock: Clock = { now: () => Date.now() };
