/**
 * Download progress for stderr. On a terminal a line a second reads as a live counter; in a log
 * (CI, a pipe) that floods, so there a line is written only when the transfer crosses a new tenth.
 */

const MB = 1024 * 1024;

export interface ProgressSink {
  readonly isTTY?: boolean;
  write(text: string): unknown;
}

/** How a line reads: `12.0 of 70.0 MB (17%)` unless the caller words it otherwise. */
export type ProgressLine = (downloadedMb: string, totalMb: string, percent: number) => string;
const plainLine: ProgressLine = (done, total, percent) => `${done} of ${total} MB (${percent}%)`;

export function progressPrinter(sink: ProgressSink, line: ProgressLine = plainLine, now: () => number = Date.now): (downloaded: number, total: number) => void {
  let shownAt = -Infinity;
  let tenth = -1;
  return (downloaded, total) => {
    // Without a known size there is no share to print, and a tiny answer (an error page) is not a download.
    if (total < MB / 10) return;
    const done = downloaded >= total;
    if (sink.isTTY) {
      if (now() - shownAt < 1000 && !done) return;
      shownAt = now();
    } else {
      const reached = Math.floor((10 * Math.min(downloaded, total)) / total);
      if (reached <= tenth) return;
      tenth = reached;
    }
    const percent = Math.round((100 * Math.min(downloaded, total)) / total);
    sink.write(`${line((downloaded / MB).toFixed(1), (total / MB).toFixed(1), percent)}\n`);
  };
}
