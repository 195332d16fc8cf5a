/**
 * Download progress for stderr. On a terminal a line a second reads as a live counter; in a log
 * (CI, a pipe) that floods, so there a line is written only when the transfer crosses a new tenth.
 */

const MB = 1024 * 1024;

export interface ProgressSink {
  readonly isTTY?: boolean;
  write(text: string): unknown;
}

export function progressPrinter(sink: ProgressSink, label = '', now: () => number = Date.now): (downloaded: number, total: number) => void {
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
    sink.write(`${label}${(downloaded / MB).toFixed(1)} of ${(total / MB).toFixed(1)} MB (${percent}%)\n`);
  };
}
