// The import's writers: checked rows, dealt by address onto a few lanes that each run one statement at a time, so
// PostgreSQL inserts on several cores while the upload is read, in the order each address appears in the file.
import type { ImportRow } from './csv-import-row.js';

/**
 * Rows per statement. Small enough that a stalled upload's first rows are already in the database and that each
 * lane's two chunks (one being written, one being read) stay a few hundred KB; large enough that the statement's
 * fixed cost fades.
 */
export const IMPORT_CHUNK_ROWS = 1000;

/**
 * Statements in flight at once. Each uses a connection from the pool (4 of the default 10). Rows are dealt to lanes
 * by address, so the lanes fill and flush together: with two, Node read the next chunks while both statements ran
 * and then waited, and a fifth of the machine sat idle; four keep PostgreSQL's cores busy through those waits (on
 * 2 cores, 200,000 rows: 45-48k rows/s with two lanes, 51-60k with four; docs/ARCHITECTURE.md). PGlite has one
 * connection and runs them in turn, which costs nothing.
 */
export const IMPORT_LANES = 4;

interface Lane {
  rows: ImportRow[];
  /** Addresses in `rows`: one statement cannot touch the same subscriber twice. */
  seen: Set<string>;
  writing?: Promise<void>;
}

/**
 * The first chunk is written alone, in file order, before any row is dealt to a lane: a small file (up to one
 * chunk) becomes one statement whose subscribers are numbered, and so exported, in the file's order, and a stalled
 * upload's first rows are in the database whatever the number of lanes. After it, an address always goes to the same
 * lane, so its rows are written in file order (a later row updates the earlier one, never the reverse) and two lanes
 * never wait on each other's uncommitted row.
 */
export class ImportLanes {
  private readonly lanes: Lane[];
  /** The first chunk, until it is full and written; then undefined and rows go to the lanes. */
  private opening: Lane | undefined = { rows: [], seen: new Set<string>() };

  constructor(private readonly write: (rows: ImportRow[]) => Promise<void>, lanes = IMPORT_LANES) {
    this.lanes = Array.from({ length: lanes }, () => ({ rows: [], seen: new Set<string>() }));
  }

  /**
   * Queues the row; false: its chunk already holds the address (the caller counts it skipped). Resolves once the row
   * is queued, after waiting for its lane's statement when the chunk is full: that wait is the backpressure.
   */
  async add(row: ImportRow): Promise<boolean> {
    // The suppression hash is keyed and even: its first hex digit deals addresses evenly, and the same address alike.
    const lane = this.opening ?? this.lanes[parseInt(row.emailHash[0], 16) % this.lanes.length];
    if (lane.seen.has(row.email)) return false;
    lane.seen.add(row.email);
    lane.rows.push(row);
    if (lane.rows.length < IMPORT_CHUNK_ROWS) return true;
    await (lane === this.opening ? this.writeOpening() : this.flush(lane));
    return true;
  }

  /** Writes what is queued and waits for every statement; throws the first failure. */
  async finish(): Promise<void> {
    // A file of at most one chunk never reached the lanes.
    if (this.opening) return this.writeOpening();
    for (const lane of this.lanes) await this.flush(lane);
    for (const lane of this.lanes) await lane.writing;
  }

  /** Waits for every statement in flight, failed or not: before the import gives up, nothing may still be writing. */
  async settle(): Promise<void> {
    await Promise.allSettled(this.lanes.map((lane) => lane.writing));
  }

  /** The opening chunk, committed before any lane starts, so a later row of one of its addresses cannot overtake it. */
  private async writeOpening(): Promise<void> {
    const opening = this.opening!;
    this.opening = undefined;
    await this.flush(opening);
    await opening.writing;
  }

  /** Hands the lane's chunk to the database once its previous statement is done (a lane's statements never overlap). */
  private async flush(lane: Lane): Promise<void> {
    await lane.writing;
    lane.writing = undefined;
    if (lane.rows.length === 0) return;
    lane.writing = this.write(lane.rows);
    // Awaited before the lane's next statement or at the end; until then a failure must not count as unhandled.
    lane.writing.catch(() => {});
    lane.rows = [];
    lane.seen = new Set();
  }
}
