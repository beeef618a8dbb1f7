// Progress display for long CLI operations: a bar on a terminal, a few plain lines otherwise (CI logs, pipes).
import cliProgress from 'cli-progress';

export interface Progress {
  update(done: number, total: number, detail?: string): void;
  stop(): void;
}

export function createProgress(label: string, stream: NodeJS.WriteStream = process.stderr): Progress {
  if (stream.isTTY) {
    const bar = new cliProgress.SingleBar(
      { format: `${label} [{bar}] {percentage}% | {value}/{total} {detail}`, hideCursor: true, stream },
      cliProgress.Presets.shades_classic,
    );
    let started = false;
    return {
      update(done, total, detail = '') {
        if (!started) bar.start(Math.max(total, 1), done, { detail });
        started = true;
        bar.setTotal(Math.max(total, 1));
        bar.update(done, { detail });
      },
      stop: () => bar.stop(),
    };
  }
  let lastLine = '';
  let lastAt = 0;
  return {
    update(done, total, detail = '') {
      const line = `${label}: ${done}/${total} ${detail}`.trim();
      if (line !== lastLine && (Date.now() - lastAt > 2000 || done === total)) {
        stream.write(line + '\n');
        lastLine = line;
        lastAt = Date.now();
      }
    },
    stop() {},
  };
}
