/**
 * The least a crossing to another process costs on this machine, apart from anything TokenTree
 * sends or computes (bench/process-overhead.ts prints it with every run).
 */
import { fork } from 'node:child_process';
import { median } from './stats';

export interface CrossingFloor {
  /** A plain request answered after `workMs` of work, less that work. */
  readonly floorMs: number;
  /** The same request answered at once, both processes awake. */
  readonly awakeMs: number;
}

/**
 * A plain Node IPC request as big as a long file's (8 KB) to an echo process (`script --echo`,
 * which calls serveAsEcho) that works `workMs` (what a completion takes inside the model process)
 * before it answers as much, while this process waits idle, as the editor does. The request is
 * sent right after the last answer, so the echo process has not slept (the least the request
 * costs, as with the wake-up); the answer meets a process that idled the whole work, which no
 * design that crosses once per completion avoids without keeping a core busy while it waits
 * (tried: slower, docs/benchmarks.md).
 */
export async function crossingFloor(script: string, workMs: number, count = 200): Promise<CrossingFloor> {
  const echo = fork(script, ['--echo'], { serialization: 'advanced' });
  const text = 'x'.repeat(8192);
  const crossing = async (work: number) => {
    const t0 = performance.now();
    const { workedMs } = await new Promise<{ workedMs: number }>((resolve) => { echo.once('message', resolve); echo.send({ text, workMs: work }); });
    return performance.now() - t0 - workedMs;
  };
  const awake: number[] = [];
  const floor: number[] = [];
  try {
    for (let i = 0; i < count; i++) {
      awake.push(await crossing(0));
      floor.push(await crossing(workMs));
    }
  } finally {
    echo.kill();
  }
  return { awakeMs: median(awake), floorMs: median(floor) };
}

/** The echo process of crossingFloor: works as long as asked, then answers with the text. */
export function serveAsEcho(): void {
  process.on('message', (m: { text: string; workMs: number }) => {
    const t0 = performance.now();
    while (performance.now() - t0 < m.workMs);
    process.send!({ text: m.text, workedMs: performance.now() - t0 });
  });
}

/** The floor as data for a report, with the ratio a completion through another process cannot beat here: (in process + floor) / in process. */
export function floorReport(floor: CrossingFloor, workMs: number, inProcessMs: number) {
  return { ...floor, workMs, inProcessMs, ratio: (inProcessMs + floor.floorMs) / inProcessMs };
}

export function describeFloor(f: ReturnType<typeof floorReport>): string {
  return `the machine's floor (a plain 8 KB Node IPC request answered after ${f.workMs.toFixed(0)} ms of work): ${f.floorMs.toFixed(2)} ms (${f.awakeMs.toFixed(2)} ms answered at once), so no design that crosses once per completion gets below ${f.ratio.toFixed(3)} here`;
}
