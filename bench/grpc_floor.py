"""What one Analyze call costs before any policy runs: the floor under `llmops analyze` on this machine.

The engine (and `llmops analyze`, which drives packs the same way) sends every resource to every pack in its own
unary Analyze call; the protocol has no batched form. This benchmark serves an Analyze handler that does nothing,
the way pulumi_policy serves a pack (grpc.server on a thread pool, 127.0.0.1, in its own process), and calls it
from this process as llmops' host does (requests in flight, the response parsed). It prints the wall time and the
CPU time of each side per call, and what that costs at 10,000 resources and two packs: no pack, however fast its
rules, can be judged for less.

    python bench/grpc_floor.py [--calls 5000] [--in-flight 1 8 32] [--server-threads 2]
"""

from __future__ import annotations

import argparse
import collections
import os
import subprocess
import sys
import time
from collections.abc import Sequence
from concurrent import futures
from pathlib import Path

import measure

# One resource of the synthetic export, as the host sends it (a bucket with its tags).
PROPERTIES = {"bucket": "tenant-0007-models-9f1c2e4", "tags": {"owner": "team-7", "data-classification": "phi"}}


def _serve(threads: int) -> None:
    import grpc
    from pulumi.runtime.proto import analyzer_pb2, analyzer_pb2_grpc

    class Empty(analyzer_pb2_grpc.AnalyzerServicer):
        def Analyze(self, request: object, context: object) -> object:  # noqa: N802 (the protocol's name)
            return analyzer_pb2.AnalyzeResponse()

    server = grpc.server(futures.ThreadPoolExecutor(max_workers=threads))
    analyzer_pb2_grpc.add_AnalyzerServicer_to_server(Empty(), server)
    port = server.add_insecure_port("127.0.0.1:0")
    server.start()
    print(port, flush=True)
    server.wait_for_termination()


def _cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")  # utime + stime


def _measure(calls: int, in_flight: Sequence[int], threads: int) -> None:
    import grpc
    from google.protobuf import struct_pb2
    from pulumi.runtime.proto import analyzer_pb2, analyzer_pb2_grpc

    server = subprocess.Popen([sys.executable, __file__, "--serve", str(threads)], stdout=subprocess.PIPE, text=True)
    try:
        assert server.stdout is not None
        channel = grpc.insecure_channel(f"127.0.0.1:{int(server.stdout.readline())}")
        grpc.channel_ready_future(channel).result(timeout=30)
        stub = analyzer_pb2_grpc.AnalyzerStub(channel)
        properties = struct_pb2.Struct()
        properties.update(PROPERTIES)
        request = analyzer_pb2.AnalyzeRequest(
            type="aws:s3/bucketV2:BucketV2",
            properties=properties,
            urn="urn:pulumi:bench::llmops-infra::aws:s3/bucketV2:BucketV2::models",
            name="models",
        )
        for _ in range(500):  # connection set up, caches warm
            stub.Analyze(request)
        print(f"{'in flight':>9}  {'wall/call':>10}  {'client CPU':>10}  {'server CPU':>10}  {'10,000 x 2 packs':>17}")
        for depth in in_flight:
            client, served, wall = time.process_time(), _cpu_seconds(server.pid), time.perf_counter()
            pending: collections.deque[grpc.Future] = collections.deque()
            for _ in range(calls):
                pending.append(stub.Analyze.future(request))
                if len(pending) >= depth:
                    pending.popleft().result()
            while pending:
                pending.popleft().result()
            wall = (time.perf_counter() - wall) / calls
            client = (time.process_time() - client) / calls
            served = (_cpu_seconds(server.pid) - served) / calls
            floor = 20_000 * (client + served)
            print(
                f"{depth:>9}  {wall * 1e3:>8.3f}ms  {client * 1e3:>8.3f}ms  {served * 1e3:>8.3f}ms  {floor:>8.1f} CPU-s"
            )
    finally:
        server.kill()
        server.wait()


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--calls", type=int, default=5000, help="calls per in-flight depth (default 5000)")
    parser.add_argument("--in-flight", type=int, nargs="+", default=[1, 8, 32], help="requests in flight")
    parser.add_argument("--server-threads", type=int, default=2, help="the pack server's threads (llmops: 2)")
    parser.add_argument("--serve", type=int, help=argparse.SUPPRESS)  # the server side, in its own process
    args = parser.parse_args(argv)
    if args.serve is not None:
        _serve(args.serve)
        return 0
    measure.print_machine_facts()
    _measure(args.calls, args.in_flight, args.server_threads)
    print(f"load average at the end: {measure.load_average()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
