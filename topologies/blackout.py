"""`blackout:<s>[@uplink]`: every packet on the mobile's uplink is dropped both ways for s seconds
(nftables netdev chains on its device, counted), its link, address and routes untouched — the host is
not told — then the chains go and traffic resumes on the same mapping. The chains go in and out
through the host's nft session (topologies/nftsession.py), so neither moment waits for a process to
start; the check (docs/testbed.md "Scenario checks") reads the drop counters after one probe each way
at the start and just before the end."""
from __future__ import annotations

import threading
import time
from typing import TYPE_CHECKING

from .scenario import BLACKOUT_SLACK_MS, Verdict, judge_blackout, parse_drop_counts, verdict
from .shapes import Uplink
from .stamps import EventResult, duration, now_ms, sleep_until, stamped

if TYPE_CHECKING:
    from .interfaces import Events

# The restore sends its end probes and reads the drop counters this long before the end (four
# processes: tens of ms on a loaded machine), then deletes the chains at the end.
END_PROBE_LEAD_MS = 150


def blackout(ev: Events, full: str, host: str, up: Uplink | None) -> EventResult:
    assert up is not None
    node = ev.bed.host(host)
    seconds = duration(full, 3600, 'blackout:2 (s)')
    table = f'migbench_blackout_{up.dev.replace("-", "_")}'
    if ev.noop:
        t0, t1 = ev._change(node, '')
        ev._record('blackout', full, host, seconds=seconds, t=t1, start=None)
        return EventResult(full, host, t1, t0, {'uplink': up.name, 'until': t1 + seconds * 1000})
    t0, t1 = ev.drop_all(node, up, table)
    start = ev._drops(host, up, table)
    rec = ev._record('blackout', full, host, seconds=seconds, t=t1, start=start, uplink=up, table=table)
    threading.Thread(target=restore, args=(ev, rec, t1 + seconds * 1000), daemon=True).start()
    return EventResult(full, host, t1, t0, {'uplink': up.name, 'until': t1 + seconds * 1000, 'evidence': {'start': start}})


def restore(ev: Events, rec: dict, at_ms: float) -> None:
    """Ends the blackout `rec` at `at_ms`: the end probes and counters from a shell that starts now and
    sleeps until END_PROBE_LEAD_MS before the end, then the delete, written to the host's nft session at
    the end — a shell that ran `nft delete` at the end was late by its own start (nftsession.py)."""
    try:
        done = ev.later(ev.bed.host(rec['host']), f'{sleep_until(at_ms - END_PROBE_LEAD_MS)}\n'
                        f'{ev._drop_probe_script(rec["uplink"], rec["table"])}\n{stamped("true")}')
        if done is None:
            return
        t0, t1 = ev.nft_session(rec['host']).run(f'delete table netdev {rec["table"]}', at_ms=at_ms)
        if ev.stopping:
            return
        with ev.drop_lock:
            rec.update(end=parse_drop_counts(done[2]), restoredT=t1)
        ev.notify({'event': 'event.restored', 'name': rec['name'], 'host': rec['host'], 't': t1, 'tIssued': t0})
    except Exception as e:
        if not ev.stopping:   # stopping kills the shell and the session under it
            with ev.drop_lock:
                rec['restoreError'] = str(e)   # the check fails the run on it
            ev.notify({'event': 'error', 'message': f'restoring after {rec["name"]}: {e}'})


def verify_blackout(ev: Events, rec: dict) -> Verdict:
    """Before its end: it must still be dropping; after it: the counters read just before the end, and
    when it ended — a blackout not restored by then failed, whatever it dropped."""
    due = rec['t'] + rec['seconds'] * 1000 + BLACKOUT_SLACK_MS
    with ev.drop_lock:
        if rec['start'] is not None and 'end' not in rec and now_ms() < due:   # still on, as it should be
            try:
                return judge_blackout(rec['seconds'], rec['t'], rec['start'], ev._drops(rec['host'], rec['uplink'], rec['table']), None)
            except RuntimeError:
                pass   # gone: the restore may be deleting it right now
    for _ in range(40 if rec['start'] is not None else 0):
        if 'end' in rec or 'restoreError' in rec:
            break
        time.sleep(0.05)
    with ev.drop_lock:
        if rec['start'] is not None and 'end' not in rec:
            if 'restoreError' in rec or now_ms() >= due:
                return verdict(False, f'not restored: {rec.get("restoreError", "no restore by the check")}', start=rec['start'])
            return verdict(False, 'the drop chains were gone before the restore', start=rec['start'])
        return judge_blackout(rec['seconds'], rec['t'], rec['start'], rec.get('end'), rec.get('restoredT'))
