// Progress of a long CLI command on stderr (stdout stays the command's answer): a bar redrawn in place on a terminal,
// a plain line now and then otherwise (a log file or a pipe gets lines, not carriage returns).

export interface ProgressBar {
  update(done: number): void;
  /** The last state, drawn whatever the throttle, and the line ended. */
  end(): void;
}

const WIDTH = 30;
const TERMINAL_EVERY_MS = 100;
const LINE_EVERY_MS = 2_000;

export function progressBar(stream: NodeJS.WritableStream & { isTTY?: boolean }, total: number, noun: string): ProgressBar {
  const terminal = stream.isTTY === true;
  let done = 0;
  let drawnAt = 0;
  let drawn = -1;
  const draw = () => {
    drawnAt = Date.now();
    drawn = done;
    const share = total === 0 ? 1 : Math.min(1, done / total);
    const counts = `${done.toLocaleString('en-US')}/${total.toLocaleString('en-US')} ${noun}`;
    if (terminal) {
      const filled = Math.round(share * WIDTH);
      stream.write(`\r[${'#'.repeat(filled)}${'-'.repeat(WIDTH - filled)}] ${String(Math.floor(share * 100)).padStart(3)}% ${counts}`);
    } else {
      stream.write(`${counts} (${Math.floor(share * 100)}%)\n`);
    }
  };
  return {
    update(value) {
      done = value;
      if (Date.now() - drawnAt >= (terminal ? TERMINAL_EVERY_MS : LINE_EVERY_MS)) draw();
    },
    end() {
      if (drawn !== done || drawnAt === 0) draw();
      if (terminal) stream.write('\n');
    },
  };
}
