"""The nft session (topologies/nftsession.py): its sync parsing, and a real `nft -i` in a network
namespace of its own (root, as `make test` runs)."""
import subprocess
import time
import unittest
from types import SimpleNamespace

from topologies.nftsession import NftSession, read_until_sync
from topologies.stamps import now_ms


def lines(*ls: str):
    it = iter([*ls, ''])
    return lambda: next(it)


class SyncParsing(unittest.TestCase):
    def test_what_a_command_printed_comes_before_the_sync(self) -> None:
        self.assertEqual(read_until_sync(lines('table netdev x {\n', '}\n', 'table netdev s {\n', '}\n', 'after\n'), 's'),
                         ['table netdev x {\n', '}\n'])
        self.assertEqual(read_until_sync(lines('table netdev s {\n', '}\n'), 's'), [])

    def test_an_error_or_an_exit_is_an_error(self) -> None:
        with self.assertRaisesRegex(RuntimeError, 'No such file'):
            read_until_sync(lines('Error: Could not process rule: No such file or directory\n', 'delete table netdev x\n',
                                  'table netdev s {\n', '}\n'), 's')
        with self.assertRaisesRegex(RuntimeError, 'exited'):
            read_until_sync(lines('half'), 's')


class RealSession(unittest.TestCase):
    def setUp(self) -> None:
        self.ns = subprocess.Popen(['unshare', '-n', 'sh', '-c', 'ip link set lo up; exec sleep 60'])
        time.sleep(0.2)
        self.session = NftSession(SimpleNamespace(name='t', pid=self.ns.pid))   # type: ignore[arg-type]

    def tearDown(self) -> None:
        self.session.stop()
        self.ns.kill()
        self.ns.wait()

    def pings(self) -> bool:
        return subprocess.run(['nsenter', '-t', str(self.ns.pid), '-n', 'ping', '-c1', '-W0.3', '127.0.0.1'],
                              capture_output=True).returncode == 0

    def test_a_drop_table_holds_until_it_is_deleted_at_its_moment(self) -> None:
        self.assertTrue(self.pings())
        t0, t1 = self.session.run('table netdev d { chain rx { type filter hook ingress device "lo" priority -500; policy drop; counter; }; }')
        self.assertLessEqual(t0, t1)
        self.assertFalse(self.pings(), 'the drop chain is in once run() returns')
        at = now_ms() + 200
        t0, t1 = self.session.run('delete table netdev d', at_ms=at)
        self.assertGreaterEqual(t0, at, 'issued at its moment, not before')
        self.assertTrue(self.pings(), 'gone once run() returns')

    def test_a_failed_command_raises_and_the_session_goes_on(self) -> None:
        with self.assertRaisesRegex(RuntimeError, 'No such file or directory'):
            self.session.run('delete table netdev nothere')
        self.session.run('add table netdev ok')


if __name__ == '__main__':
    unittest.main()
