// Picks among weighted choices so that every run of picks follows the weights as closely as whole numbers allow
// (smooth weighted round robin, as nginx balances upstreams): `ses:80,postmark:20` sends 4 of every 5 through SES,
// interleaved rather than in bursts, and without randomness, so a test can count it.
export class WeightedRotation<Key extends string> {
  private readonly current = new Map<Key, number>();

  /** The next of `choices` (those usable now, each with its weight); undefined when there are none. */
  next(choices: { key: Key; weight: number }[]): Key | undefined {
    let best: { key: Key; weight: number } | undefined;
    let bestScore = -Infinity;
    let total = 0;
    for (const choice of choices) {
      const score = (this.current.get(choice.key) ?? 0) + choice.weight;
      this.current.set(choice.key, score);
      total += choice.weight;
      if (score > bestScore) {
        best = choice;
        bestScore = score;
      }
    }
    if (!best) return undefined;
    this.current.set(best.key, bestScore - total);
    return best.key;
  }
}
