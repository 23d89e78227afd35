// NAT probe tool, run inside testbed hosts: a STUN-style server with two addresses × two ports
// (RFC 5780's CHANGE-REQUEST semantics), an RFC 5780 behaviour classifier, a hole puncher, a
// sequenced flow whose source address the server logs (to time network events), and a listener
// that logs what reaches it (to see a firewall open). IPv4 or IPv6: a socket takes the family of the
// address it binds or first sends to; an IPv6 endpoint is written [addr]:port.
// Messages are small JSON objects over UDP; every result is one JSON line on stdout.
import dgram from 'node:dgram';
import { parseArgs } from 'node:util';

type Msg = Record<string, unknown>;
interface Endpoint { addr: string; port: number }

const now = () => performance.timeOrigin + performance.now();
const out = (o: Msg) => process.stdout.write(JSON.stringify(o) + '\n');
const isV6 = (addr: string) => addr.includes(':');
const key = (e: Endpoint) => (isV6(e.addr) ? `[${e.addr}]:${e.port}` : `${e.addr}:${e.port}`);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A socket on `addr` (any address of `toward`'s family when absent) and `port` (any when 0). */
function bind(addr?: string, port = 0, toward = '0.0.0.0'): Promise<dgram.Socket> {
  const v6 = isV6(addr ?? toward);
  return new Promise((resolve, reject) => {
    const s = dgram.createSocket(v6 ? 'udp6' : 'udp4');
    s.once('error', reject);
    s.bind(port, addr ?? (v6 ? '::' : '0.0.0.0'), () => { s.off('error', reject); resolve(s); });
  });
}
/** `A.B.C.D:P` or `[V6]:P`; with `portOptional`, a bare address too (port 0). */
function parseEndpoint(s: string | undefined, portOptional = false): Endpoint {
  const m = /^\[([0-9a-fA-F:.]+)\]:(\d+)$/.exec(s ?? '') ?? /^([0-9.]+):(\d+)$/.exec(s ?? '');
  if (m) return { addr: m[1]!, port: Number(m[2]) };
  if (portOptional && s) return { addr: s, port: 0 };
  throw new Error(`expected ADDR:PORT or [IPV6]:PORT, got ${s}`);
}
function send(s: dgram.Socket, to: Endpoint, m: Msg): void {
  s.send(JSON.stringify(m), to.port, to.addr);
}
function parse(buf: Buffer): Msg | null {
  try { const m = JSON.parse(buf.toString()); return m && typeof m === 'object' ? m : null; } catch { return null; }
}

// -- server ------------------------------------------------------------------------------------
async function server(addrs: string[], ports: number[]): Promise<void> {
  const socks = new Map<string, dgram.Socket>();
  for (const a of addrs) for (const p of ports) socks.set(key({ addr: a, port: p }), await bind(a, p));
  const rendezvous = new Map<string, Endpoint>();   // `${pair}/${name}` -> observed
  for (const [local, s] of socks) {
    const { addr: la, port: lp } = parseEndpoint(local);
    s.on('message', (buf, rinfo) => {
      const m = parse(buf);
      if (!m) return;
      const from = { addr: rinfo.address, port: rinfo.port };
      if (m.op === 'probe') {
        const change = (m.change ?? {}) as { addr?: boolean; port?: boolean };
        const a = change.addr ? addrs.find((x) => x !== la && isV6(x) === isV6(la))! : la;   // the other of its family
        const p = change.port ? ports.find((x) => x !== lp)! : lp;
        send(socks.get(key({ addr: a, port: p }))!, from, { op: 'mapped', id: m.id, ...from });
      } else if (m.op === 'register') {
        rendezvous.set(`${m.pair}/${m.name}`, from);
        const peer = rendezvous.get(`${m.pair}/${m.peer}`);
        send(s, from, { op: 'registered', self: from, peer });
      } else if (m.op === 'flow') {
        out({ t: now(), seq: m.seq, from: key(from) });
      }
    });
  }
  out({ ready: true, listening: [...socks.keys()] });
}

// -- classify (RFC 5780 §4.3, §4.4) --------------------------------------------------------------
async function ask(s: dgram.Socket, to: Endpoint, change: Msg = {}, wait = 300, tries = 3): Promise<Endpoint | null> {
  const id = Math.random().toString(36).slice(2);
  return new Promise((resolve) => {
    let n = 0;
    const onMsg = (buf: Buffer) => {
      const m = parse(buf);
      if (m?.op === 'mapped' && m.id === id) { done(); resolve({ addr: m.addr as string, port: m.port as number }); }
    };
    const tick = () => {
      if (n++ >= tries) { done(); resolve(null); return; }
      send(s, to, { op: 'probe', id, change });
    };
    const timer = setInterval(tick, wait);
    const done = () => { clearInterval(timer); s.off('message', onMsg); };
    s.on('message', onMsg);
    tick();
  });
}

async function classify(local: string | undefined, addrs: string[], ports: number[]): Promise<void> {
  const [a1, a2] = addrs as [string, string];
  const [p1, p2] = ports as [number, number];
  const s = await bind(local, 0, a1);
  const m1 = await ask(s, { addr: a1, port: p1 });
  const m2 = await ask(s, { addr: a2, port: p1 });
  const m3 = await ask(s, { addr: a2, port: p2 });
  s.close();
  if (!m1 || !m2 || !m3) { out({ error: 'no answer from the probe server', mapped: [m1, m2, m3] }); process.exitCode = 1; return; }
  const mapping = key(m1) === key(m2) ? 'EIM' : key(m2) === key(m3) ? 'ADM' : 'APDM';
  // Filtering on a fresh socket, so the mapping tests left no pinholes toward a2 or p2.
  const f = await bind(local, 0, a1);
  await ask(f, { addr: a1, port: p1 });
  const filtering = (await ask(f, { addr: a1, port: p1 }, { addr: true, port: true })) ? 'EIF'
    : (await ask(f, { addr: a1, port: p1 }, { port: true })) ? 'ADF' : 'APDF';
  f.close();
  out({ mapping, filtering, mapped: [m1, m2, m3].map((m) => key(m!)) });
}

// -- punch ----------------------------------------------------------------------------------------
async function punch(o: { server: Endpoint; pair: string; name: string; peer: string; local?: string; timeout: number }): Promise<void> {
  const s = await bind(o.local, 0, o.server.addr);
  const t0 = now();
  let self: Endpoint | undefined;
  let advertised: Endpoint | undefined;
  const targets = new Map<string, Endpoint>();       // advertised + peer-reflexive sources
  let got = false;          // we heard the peer
  let heardUs = false;      // the peer says it heard us
  let firstMs: number | undefined;
  s.on('message', (buf, rinfo) => {
    const m = parse(buf);
    if (!m) return;
    if (m.op === 'registered') {
      self = m.self as Endpoint;
      if (m.peer && !advertised) { advertised = m.peer as Endpoint; targets.set(key(advertised), advertised); }
    } else if (m.op === 'punch' && m.from === o.peer) {
      const src = { addr: rinfo.address, port: rinfo.port };
      targets.set(key(src), src);   // learn the peer-reflexive address (ICE prflx)
      if (!got) { got = true; firstMs = now() - t0; }
      if (m.got) heardUs = true;
    }
  });
  const deadline = t0 + o.timeout;
  while (now() < deadline && !(got && heardUs)) {
    if (!advertised) send(s, o.server, { op: 'register', pair: o.pair, name: o.name, peer: o.peer });
    for (const t of targets.values()) send(s, t, { op: 'punch', from: o.name, got });
    await sleep(20);
  }
  // A few more packets so the peer also learns that we heard it.
  for (let i = 0; i < 5; i++) { for (const t of targets.values()) send(s, t, { op: 'punch', from: o.name, got }); await sleep(20); }
  s.close();
  out({ ok: got && heardUs, got, heardUs, firstMs, self, advertised, targets: [...targets.keys()] });
}

// -- flow -----------------------------------------------------------------------------------------
async function flow(server: Endpoint, intervalMs: number, durationMs: number, local?: Endpoint): Promise<void> {
  const s = await bind(local?.addr, local?.port, server.addr);   // unconnected: sendto picks the current uplink for every packet
  out({ ready: true, t: now() });
  const end = now() + durationMs;
  for (let seq = 0; now() < end; seq++) {
    send(s, server, { op: 'flow', seq });
    await sleep(intervalMs);
  }
  s.close();
}

// -- push / sink: inbound-only traffic, to see a NAT mapping disappear ----------------------------
async function push(at: Endpoint, intervalMs: number, durationMs: number): Promise<void> {
  const s = await bind(at.addr, at.port);
  out({ ready: true });
  const target = await new Promise<Endpoint>((r) => s.once('message', (_b, ri) => r({ addr: ri.address, port: ri.port })));
  const end = now() + durationMs;
  for (let seq = 0; now() < end; seq++) { send(s, target, { op: 'push', seq }); await sleep(intervalMs); }
  s.close();
}

async function sink(server: Endpoint, durationMs: number, local?: string): Promise<void> {
  const s = await bind(local, 0, server.addr);
  s.on('message', (buf) => { const m = parse(buf); if (m?.op === 'push') out({ t: now(), seq: m.seq }); });
  send(s, server, { op: 'hello' });   // the only packet it sends: it opens the mapping
  out({ ready: true, t: now() });
  await sleep(durationMs);
  s.close();
}

// -- listen: what reaches an endpoint, and when it answered ---------------------------------------
async function listen(at: Endpoint, durationMs: number, replyAfterMs?: number, to?: Endpoint): Promise<void> {
  const s = await bind(at.addr, at.port);
  s.on('message', (buf, rinfo) => out({ t: now(), from: key({ addr: rinfo.address, port: rinfo.port }), op: parse(buf)?.op }));
  out({ ready: true, t: now() });
  if (to && replyAfterMs !== undefined) {
    await sleep(replyAfterMs);
    send(s, to, { op: 'hello' });
    out({ sent: key(to), t: now() });
    await sleep(durationMs - replyAfterMs);
  } else await sleep(durationMs);
  s.close();
}

const HELP = `usage: probe.ts <server|classify|punch|flow|push|sink|listen> [options]
  server   --addrs A1,A2 --ports P1,P2                 STUN-style responder + rendezvous + flow log
  classify --server-addrs A1,A2 --ports P1,P2 [--local ADDR]   prints {mapping, filtering}
  punch    --server A:P --pair ID --name N --peer M [--local ADDR] [--timeout MS]
  flow     --server A:P [--interval MS] [--duration MS] [--local ADDR|A:P]
  push     --server A:P [--interval MS] [--duration MS]   waits for one packet, then sends to its source
  sink     --server A:P [--duration MS] [--local ADDR]    sends one packet, logs what comes back
  listen   --local A:P [--duration MS] [--reply-after MS --to A:P]   logs every arrival; sends one packet at MS
  (an IPv6 endpoint is [ADDR]:PORT)`;

async function main(): Promise<void> {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: {
      addrs: { type: 'string' }, 'server-addrs': { type: 'string' }, ports: { type: 'string', default: '3478,3479' },
      server: { type: 'string' }, pair: { type: 'string' }, name: { type: 'string' }, peer: { type: 'string' },
      local: { type: 'string' }, timeout: { type: 'string', default: '2000' },
      interval: { type: 'string', default: '5' }, duration: { type: 'string', default: '3000' },
      to: { type: 'string' }, 'reply-after': { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  const mode = positionals[0];
  if (values.help || !mode) { console.log(HELP); return; }
  const ports = values.ports!.split(',').map(Number);
  const endpoint = (s?: string): Endpoint => parseEndpoint(s);
  if (mode === 'server') await server(values.addrs!.split(','), ports);
  else if (mode === 'classify') await classify(values.local, values['server-addrs']!.split(','), ports);
  else if (mode === 'punch') {
    await punch({ server: endpoint(values.server), pair: values.pair!, name: values.name!, peer: values.peer!,
                  local: values.local, timeout: Number(values.timeout) });
  } else if (mode === 'flow') {
    await flow(endpoint(values.server), Number(values.interval), Number(values.duration),
      values.local === undefined ? undefined : parseEndpoint(values.local, true));
  } else if (mode === 'push') {
    await push(endpoint(values.server), Number(values.interval), Number(values.duration));
  } else if (mode === 'sink') {
    await sink(endpoint(values.server), Number(values.duration), values.local);
  } else if (mode === 'listen') {
    await listen(endpoint(values.local), Number(values.duration), values['reply-after'] === undefined ? undefined : Number(values['reply-after']),
      values.to === undefined ? undefined : endpoint(values.to));
  } else { console.error(HELP); process.exitCode = 2; }
}

main().catch((e: Error) => { console.error(e.message); process.exitCode = 1; });
