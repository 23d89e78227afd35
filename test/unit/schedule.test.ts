import { test } from 'node:test';
import assert from 'node:assert/strict';
import { eventNames, parseSchedule, scheduleString } from '../../harness/schedule.ts';
import { checkEvent } from '../../harness/spec.ts';
import { eventSegments } from '../../harness/metrics.ts';
import type { LogEvent } from '../../core/events.ts';

test('a single event is a schedule of one at offset 0; @uplink targets stay in the name', () => {
  assert.deepEqual(parseSchedule('wifi-to-cellular'), [{ name: 'wifi-to-cellular', atS: 0 }]);
  assert.deepEqual(parseSchedule('nat-rebind@cellular'), [{ name: 'nat-rebind@cellular', atS: 0 }]);
  assert.deepEqual(parseSchedule('blackout:2'), [{ name: 'blackout:2', atS: 0 }]);
});

test('a schedule: entries with offsets, in order, from 0', () => {
  const s = scheduleString(['wifi-to-cellular@0', 'nat-rebind@cellular@1.5', 'cellular-to-wifi@3']);
  assert.deepEqual(parseSchedule(s), [{ name: 'wifi-to-cellular', atS: 0 }, { name: 'nat-rebind@cellular', atS: 1.5 }, { name: 'cellular-to-wifi', atS: 3 }]);
  assert.deepEqual(eventNames(s), ['wifi-to-cellular', 'nat-rebind@cellular', 'cellular-to-wifi']);
  assert.throws(() => parseSchedule('wifi-to-cellular@0,cellular-to-wifi'), /needs an offset/);
  assert.throws(() => parseSchedule('wifi-to-cellular@1,cellular-to-wifi@2'), /starts at offset 0/);
  assert.throws(() => parseSchedule('wifi-to-cellular@0,cellular-to-wifi@2,wifi-to-cellular@1'), /must not decrease/);
});

test('checkEvent checks every entry and refuses a schedule step that would change nothing', () => {
  checkEvent('wifi-to-cellular@0,cellular-to-wifi@1.5,wifi-to-cellular@3');
  assert.throws(() => checkEvent('wifi-to-cellular@0,wifi-to-cellular@1.5'), /change nothing/);
  assert.throws(() => checkEvent('wifi-to-cellular@0,teleport@1'), /unknown event 'teleport'/);
  assert.throws(() => checkEvent('none@0,wifi-to-cellular@1'), /'none' cannot be part of a schedule/);
});

test('eventSegments: what each event of a schedule cost, up to the next', () => {
  const T0 = 1_700_000_000_000, sent = (n: number) => T0 + 20 * n;
  const log: LogEvent[] = [];
  for (let n = 0; n < 600; n++) {
    log.push({ t: sent(n), role: 'answerer', type: 'audio.sent', seq: n, path: 'direct' });
    const lost = (n >= 200 && n < 205) || (n >= 400 && n < 403) || n === 410;
    if (!lost) log.push({ t: sent(n) + 30, role: 'mobile', type: 'audio.recv', seq: n, path: 'direct', sentAt: sent(n) });
  }
  log.push({ t: sent(195), role: 'harness', type: 'event.fired', name: 'wifi-to-cellular', tIssued: sent(195) - 1 });
  log.push({ t: sent(395), role: 'harness', type: 'event.fired', name: 'cellular-to-wifi', tIssued: sent(395) - 1 });
  const segs = eventSegments(log.sort((a, b) => a.t - b.t));
  assert.deepEqual(segs.map((s) => [s.name, s.concealed_ms, s.gap_ms]), [['wifi-to-cellular', 100, 100], ['cellular-to-wifi', 80, 60]]);
});
