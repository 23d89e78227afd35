// The few DevTools-protocol calls the chromium strategy needs, on one WebSocket (`ws`, already the
// iroh relay's): commands with their replies, and a page's binding calls as they come. Not
// playwright or puppeteer: loading playwright-core costs a role 0.85 CPU s (ws: 0.23), and
// both add a reply round trip to every binding call (exposeBinding), 50 a second here.
// Protocol: https://chromedevtools.github.io/devtools-protocol/ (Target, Runtime).
import WebSocket from 'ws';

interface Reply { id: number; result?: Record<string, unknown>; error?: { message: string } }
interface Event { method: string; params: Record<string, unknown>; sessionId?: string }

export class Cdp {
  /** The browser's product and version (Browser.getVersion), e.g. "HeadlessChrome/156.0.8078.114". */
  product = '';
  private nextId = 1;
  private readonly pending = new Map<number, { resolve: (r: Record<string, unknown>) => void; reject: (e: Error) => void }>();
  private readonly bindings = new Map<string, (payload: string) => void>();
  private constructor(private readonly ws: WebSocket, private session = '') {
    ws.on('message', (data: Buffer) => {
      const m = JSON.parse(data.toString()) as Reply & Event;
      if (m.id !== undefined) {
        const p = this.pending.get(m.id);
        this.pending.delete(m.id);
        if (m.error) p?.reject(new Error(m.error.message)); else p?.resolve(m.result ?? {});
      } else if (m.method === 'Runtime.bindingCalled') {
        this.bindings.get(String(m.params['name']))?.(String(m.params['payload']));
      }
    });
    ws.on('close', () => { for (const p of this.pending.values()) p.reject(new Error('DevTools connection closed')); this.pending.clear(); });
  }

  /** Connects to the browser's endpoint and attaches to its first page (the one it opened). */
  static async attach(browserUrl: string): Promise<Cdp> {
    const ws = new WebSocket(browserUrl, { perMessageDeflate: false });
    await new Promise<void>((resolve, reject) => { ws.once('open', resolve); ws.once('error', reject); });
    const cdp = new Cdp(ws);
    cdp.product = String((await cdp.send('Browser.getVersion'))['product']);
    const { targetInfos } = await cdp.send('Target.getTargets') as { targetInfos: { targetId: string; type: string }[] };
    const page = targetInfos.find((t) => t.type === 'page');
    if (!page) throw new Error('the browser has no page');
    cdp.session = String((await cdp.send('Target.attachToTarget', { targetId: page.targetId, flatten: true }))['sessionId']);
    return cdp;
  }

  send(method: string, params: Record<string, unknown> = {}): Promise<Record<string, unknown>> {
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.ws.send(JSON.stringify({ id, method, params, ...(this.session ? { sessionId: this.session } : {}) }), (e) => {
        if (e) { this.pending.delete(id); reject(e); }
      });
    });
  }

  /** Evaluates `expression` in the page (awaiting a promise it returns); its value, or the page's error. */
  async evaluate<T>(expression: string): Promise<T> {
    const r = await this.send('Runtime.evaluate', { expression, awaitPromise: true, returnByValue: true }) as
      { result: { value?: T }; exceptionDetails?: { text: string; exception?: { description?: string } } };
    if (r.exceptionDetails) throw new Error(r.exceptionDetails.exception?.description ?? r.exceptionDetails.text);
    return r.result.value as T;
  }

  /** `window[name](payload)` in the page calls `handler(payload)` here (a string; no reply). */
  async bind(name: string, handler: (payload: string) => void): Promise<void> {
    this.bindings.set(name, handler);
    await this.send('Runtime.addBinding', { name });
  }

  close(): void { this.ws.close(); }
}
