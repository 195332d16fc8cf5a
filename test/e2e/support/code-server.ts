// Starts code-server (installed by test/e2e/setup.sh) with the VSIX installed into a throwaway
// profile, and stops it for sure: its own process group is killed, also when the test process
// exits abnormally.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';

export const repoRoot = path.resolve(__dirname, '..', '..', '..');
export const resultsDir = path.join(repoRoot, 'test-results', 'e2e');
const cacheDir = path.resolve(repoRoot, process.env.E2E_CACHE ?? path.join('.cache', 'e2e'));
export const codeServerBin = process.env.E2E_CODE_SERVER ?? path.join(cacheDir, 'bin', 'code-server');
export const pidFile = path.join(resultsDir, 'code-server.pid');
export const chromiumBin = process.env.E2E_CHROMIUM ?? '/usr/bin/chromium';

export interface CodeServer {
  /** Workbench URL with the workspace folder opened. */
  readonly url: string;
  /** Absolute path of the workspace folder (a copy of the repo's examples/ lives in it). */
  readonly workspace: string;
  readonly logFile: string;
  /**
   * The settings.json that machine-scoped settings (tokentree.modelPath) come from in code-server:
   * its extension host is a remote one, which reads them from the Machine settings, not the User ones.
   */
  readonly machineSettingsFile: string;
  /** VS Code's user data folder (User/settings.json, User/globalStorage). */
  readonly userDataDir: string;
  /** Where the VSIX is installed (an update would replace this folder). */
  readonly extensionsDir: string;
  /** The TokenTree output channel as written to disk by every extension host of this run. */
  tokentreeLog(): string;
  stop(): Promise<void>;
}

// Quiet, deterministic workbench: no welcome page, trust prompt, chat, tips or update checks.
const USER_SETTINGS = {
  'workbench.startupEditor': 'none',
  'workbench.tips.enabled': false,
  'workbench.enableExperiments': false,
  'workbench.secondarySideBar.defaultVisibility': 'hidden',
  'workbench.welcomePage.walkthroughs.openOnInstall': false,
  'security.workspace.trust.enabled': false,
  'telemetry.telemetryLevel': 'off',
  'update.mode': 'none',
  'extensions.autoUpdate': false,
  'extensions.autoCheckUpdates': false,
  'extensions.ignoreRecommendations': true,
  'chat.disableAIFeatures': true,
  'git.enabled': false,
  'editor.inlineSuggest.enabled': true,
};

/** E2E_VSIX, else the VSIX that `npm run package` writes for this version. */
export function vsixPath(): string {
  if (process.env.E2E_VSIX) return path.resolve(process.env.E2E_VSIX);
  const { name, version } = JSON.parse(fs.readFileSync(path.join(repoRoot, 'package.json'), 'utf8'));
  return path.join(repoRoot, `${name}-${version}.vsix`);
}

export function checkPrerequisites(): string[] {
  const missing: string[] = [];
  if (!fs.existsSync(codeServerBin)) missing.push(`code-server (${codeServerBin})`);
  if (!fs.existsSync(chromiumBin)) missing.push(`chromium (${chromiumBin})`);
  return missing;
}

export async function startCodeServer(options: { vsix: string; settings?: Record<string, unknown>; env?: Record<string, string> }): Promise<CodeServer> {
  const missing = checkPrerequisites();
  if (missing.length) throw new Error(`missing ${missing.join(' and ')}: run \`bash test/e2e/setup.sh\` first`);
  if (!fs.existsSync(options.vsix)) throw new Error(`VSIX not found: ${options.vsix} (run \`npm run package\`)`);

  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'tokentree-e2e-'));
  const dirs = {
    userData: path.join(tmp, 'user-data'),
    extensions: path.join(tmp, 'extensions'),
    workspace: path.join(tmp, 'workspace'),
  };
  fs.mkdirSync(path.join(dirs.userData, 'User'), { recursive: true });
  fs.writeFileSync(path.join(dirs.userData, 'User', 'settings.json'), JSON.stringify({ ...USER_SETTINGS, ...options.settings }, null, 2));
  fs.cpSync(path.join(repoRoot, 'examples'), path.join(dirs.workspace, 'examples'), { recursive: true });
  // Own config file and XDG dirs, so nothing is written to the user's home.
  const config = path.join(tmp, 'config.yaml');
  fs.writeFileSync(config, '');
  const env = { ...process.env, ...options.env, XDG_CONFIG_HOME: path.join(tmp, 'xdg-config'), XDG_DATA_HOME: path.join(tmp, 'xdg-data') };
  const common = ['--config', config, '--user-data-dir', dirs.userData, '--extensions-dir', dirs.extensions];

  const install = spawnSync(codeServerBin, [...common, '--install-extension', options.vsix, '--force'], { env, encoding: 'utf8', timeout: 120_000 });
  const installOut = `${install.stdout ?? ''}${install.stderr ?? ''}`;
  if (install.status !== 0 || !/successfully installed/i.test(installOut)) {
    throw new Error(`code-server --install-extension failed (exit ${install.status ?? install.signal}):\n${installOut}`);
  }

  fs.mkdirSync(resultsDir, { recursive: true });
  const logFile = path.join(resultsDir, 'code-server.log');
  const logFd = fs.openSync(logFile, 'w');
  const port = await freePort();
  const child = spawn(codeServerBin, [
    ...common, '--bind-addr', `127.0.0.1:${port}`, '--auth', 'none', '--disable-telemetry', '--disable-update-check',
    '--disable-workspace-trust', '--disable-getting-started-override', '--ignore-last-opened',
  ], { env, detached: true, stdio: ['ignore', logFd, logFd] });
  fs.closeSync(logFd);
  const killGroup = () => killProcessGroup(child, 'SIGKILL');
  process.once('exit', killGroup);
  // For test/e2e/run.ts, which kills the group if this process dies without running 'exit'.
  fs.writeFileSync(pidFile, String(child.pid));

  const stop = async () => {
    process.removeListener('exit', killGroup);
    await terminate(child);
    fs.rmSync(pidFile, { force: true });
    // Extension host logs (the TokenTree output channel among them) are the first thing to
    // read when a test fails; keep them, drop the rest of the throwaway profile.
    fs.rmSync(path.join(resultsDir, 'logs'), { recursive: true, force: true });
    const logs = path.join(dirs.userData, 'logs');
    if (fs.existsSync(logs)) fs.cpSync(logs, path.join(resultsDir, 'logs'), { recursive: true });
    if (!process.env.E2E_KEEP_TMP) fs.rmSync(tmp, { recursive: true, force: true });
  };
  try {
    await waitForHealthy(`http://127.0.0.1:${port}/healthz`, child, logFile, 60_000);
  } catch (err) {
    await stop();
    throw err;
  }
  return { url: `http://127.0.0.1:${port}/?folder=${encodeURIComponent(dirs.workspace)}`, workspace: dirs.workspace, logFile, machineSettingsFile: path.join(dirs.userData, 'Machine', 'settings.json'), userDataDir: dirs.userData, extensionsDir: dirs.extensions, tokentreeLog: () => readLogs(path.join(dirs.userData, 'logs')), stop };
}

/** Every TokenTree.log under the profile's logs (one per extension host session), concatenated. */
function readLogs(dir: string): string {
  if (!fs.existsSync(dir)) return '';
  return (fs.readdirSync(dir, { recursive: true }) as string[])
    .filter((f) => path.basename(f) === 'TokenTree.log')
    .map((f) => fs.readFileSync(path.join(dir, f), 'utf8'))
    .join('\n');
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

async function waitForHealthy(url: string, child: ChildProcess, logFile: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new Error(`code-server exited (${child.exitCode ?? child.signalCode}) before it was ready:\n${tail(logFile)}`);
    }
    try {
      const res = await fetch(url, { signal: AbortSignal.timeout(2000) });
      if (res.ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`code-server was not ready after ${timeoutMs / 1000}s:\n${tail(logFile)}`);
}

function killProcessGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  if (child.pid === undefined) return;
  try {
    process.kill(-child.pid, signal);
  } catch {
    // already gone
  }
}

async function terminate(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return killProcessGroup(child, 'SIGKILL');
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  killProcessGroup(child, 'SIGTERM');
  const timedOut = await Promise.race([exited.then(() => false), new Promise<boolean>((r) => setTimeout(() => r(true), 5000))]);
  // The extension host and other helpers share the group; make sure none outlives the run.
  killProcessGroup(child, 'SIGKILL');
  if (timedOut) await exited;
}

export function tail(file: string, lines = 30): string {
  try {
    return fs.readFileSync(file, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return '(no log)';
  }
}
