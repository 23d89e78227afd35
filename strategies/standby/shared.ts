// standby's constants and the body of its `standby` signal, shared by both ends (docs/strategies.md "standby").

export const PUNCH_INTERVAL_MS = 20;
export const KEEPALIVE_MS = 200;
export const DEAD_MS = 1200;          // no pong for this long: the path is gone, learn and punch it again
export const REFLECT_RETRY_MS = 200;
export const SUSPECT_MS = 45;          // two 20 ms frames overdue (plus jitter): the primary may be breaking
export const SUSPECT_WINDOW_MS = 1000; // how long the answerer copies after a `suspect`

export interface StandbyBody { paths: { id: number; name: string; addr: string; port: number }[] }
/** What the mobile signals the answerer through the intermediate: its paths' reflexive addresses, or
 *  that no direct path is left (the relay carries the audio). */
export type StandbySignals = { standby: StandbyBody; 'standby-relay': Record<string, never> };
