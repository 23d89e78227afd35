// Debian's headless Chromium in this role's namespace (its network is the peer's), started through
// the shared external-program helper (dies with the role, even on SIGKILL; its output in
// chromium-<role>.log), its profile a fresh folder in the run's, removed at the end. The switches turn
// off what would send packets of its own through the testbed's NATs (component updates, safe
// browsing, metrics, the first-run page) and what root needs (no sandbox); none of them touches WebRTC,
// except `uplinks`' policy (docs/strategies.md "chromium").
import { mkdirSync, rmSync } from 'node:fs';
import path from 'node:path';
import type { RoleContext } from '../contract.ts';
import { startExternal, type External } from '../shared/external.ts';
import { Cdp } from './cdp.ts';

export const CHROMIUM = '/usr/bin/chromium';

/** Chromium's own switch for the interfaces WebRTC may use: the default route's only, host addresses
 *  included (a phone's OS gives an app its default network), or every interface (its default). */
export const IP_POLICY = { default: 'default_public_and_private_interfaces', all: 'default' } as const;

const QUIET = ['--headless', '--no-sandbox', '--no-first-run', '--no-default-browser-check', '--disable-background-networking',
  '--disable-component-update', '--disable-sync', '--disable-default-apps', '--disable-domain-reliability', '--disable-breakpad',
  '--metrics-recording-only', '--safebrowsing-disable-auto-update', '--disable-gpu', '--mute-audio'];

export interface Browser { cdp: Cdp; process: External; close(): Promise<void> }

export async function openBrowser(ctx: RoleContext, ipPolicy: string): Promise<Browser> {
  const profile = path.join(ctx.runDir, `chromium-${ctx.role}`);
  mkdirSync(profile, { recursive: true });
  let url = '';
  const process = await startExternal(ctx, {
    name: `chromium-${ctx.role}`, command: CHROMIUM,
    args: [...QUIET, `--user-data-dir=${profile}`, '--remote-debugging-port=0', `--force-webrtc-ip-handling-policy=${ipPolicy}`, 'about:blank'],
    readyLine: /DevTools listening on ws:\/\/\S+\n/,   // the whole URL
    onLine: (line) => { const m = /DevTools listening on (ws:\/\/\S+)/.exec(line); if (m) url = m[1]!; },
    readyTimeoutMs: 15000,
  });
  try {
    const cdp = await Cdp.attach(url);
    ctx.log.logOther('chromium.version', { product: cdp.product });
    return {
      cdp, process,
      close: async () => { cdp.close(); await process.stop(); rmSync(profile, { recursive: true, force: true }); },
    };
  } catch (e) {
    await process.stop();
    throw e;
  }
}
