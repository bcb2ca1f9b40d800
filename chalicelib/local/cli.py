"""The ``batch-enrich`` command: ``run`` a CSV through the whole local pipeline, or ``serve`` the API."""

from __future__ import annotations

import argparse
import json
import os
import secrets
import sys
import threading
from pathlib import Path

from chalicelib.local import chalice_fixes
from chalicelib.local.emulator import Emulator
from chalicelib.local.logs import add_log_options, setup_logging
from chalicelib.local.run import run_file
from chalicelib.local.runtime import LocalRuntime
from chalicelib.services.ports import get_ports


def main(argv: list[str] | None = None) -> int:
    """Entry point of the console script."""
    parser = argparse.ArgumentParser(prog="batch-enrich", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    run = commands.add_parser("run", help="enrich one CSV on the embedded emulator")
    run.add_argument("input", type=Path)
    run.add_argument("--out", type=Path, help="results CSV (default: NAME.enriched.csv beside the input)")
    run.add_argument("--summary-json", type=Path, help="write the final status body here")
    run.add_argument("--credits", type=int, help="the local tenant's starting balance")
    run.add_argument("--mode", choices=["basic", "advanced"], default="basic")
    run.add_argument("--workers", type=int, default=2, help="concurrent work pollers")
    run.add_argument("--quiet", action="store_true", help="no progress bar")
    run.add_argument("--stall-seconds", type=float, default=300.0,
                     help="end (exit 1, saying what is stuck) when nothing moves for this long")
    serve = commands.add_parser("serve", help="serve the REST API with the runtime behind it")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8000)
    serve.add_argument("--admin-key", default=None)
    serve.add_argument("--aws-port", type=int, default=0, help="the emulator's port (0: any free)")
    bench = commands.add_parser("bench", help="measure the pipeline (figures as JSON)")
    bench.add_argument("--split-mb", type=int, nargs="*", default=[10, 100],
                       help="file sizes for the split peak-memory figure")
    bench.add_argument("--rows", type=int, nargs="*", default=[1_000, 10_000, 100_000],
                       help="batch sizes for the end-to-end figures")
    bench.add_argument("--chunk-rows", type=int, nargs="*", default=[0],
                       help="rows per chunk for the end-to-end figures (0: the setting, 500 in basic mode)")
    bench.add_argument("--worker-death", type=int, metavar="ROWS",
                       help="only the recovery figure: a batch of ROWS undisturbed and with one "
                       "worker killed (SIGKILL), side by side")
    bench.add_argument("--split-only", action="store_true",
                       help="only the big-file figure: a generated file of --size-mb split in steps, "
                       "undisturbed and with its split killed (SIGKILL) part-way")
    bench.add_argument("--size-mb", type=int, nargs="*", default=[1024],
                       help="--split-only: the files' sizes (each split undisturbed and killed)")
    bench.add_argument("--out", type=Path, help="also write the figures here")
    bench.add_argument("--cold-start", action="store_true",
                       help="only the cold-start figures: each function's imports in fresh processes")
    bench.add_argument("--repeats", type=int, default=5,
                       help="--cold-start: fresh processes per function (minimum and median reported)")
    bench.add_argument("--enrichers", action="store_true",
                       help="only the enrichers' cost per row (generated and realistic files, lean loop)")
    bench.add_argument("--enricher-rows", type=int, default=20_000, help="--enrichers: rows per file")
    bench.add_argument("--work-cpu", action="store_true",
                       help="only the CPU a row costs in split, work (by stage) and finalize, in one "
                       "process on in-memory fakes, beside the plain loop (--rows, --chunk-rows)")
    bench.add_argument("--vendor", action="store_true",
                       help="advanced mode against a loopback fake vendor (its own figures only)")
    bench.add_argument("--latency-ms", type=int, nargs="*", default=[100, 300],
                       help="--vendor: the fake vendor's latency per call")
    bench.add_argument("--limit", type=float, default=40.0,
                       help="--vendor: the fake vendor's hard limit, requests per second (429 beyond)")
    bench.add_argument("--workers", type=int, nargs="*", default=[2, 4],
                       help="--vendor: worker processes")
    bench.add_argument("--vendor-rows", type=int, default=600, help="--vendor: rows per batch")
    bench.add_argument("--repeat-percent", type=float, default=0.0,
                       help="--vendor: share of rows repeating an earlier row's email")
    bench.add_argument("--again", action="store_true",
                       help="--vendor: send the identical batch a second time")
    bench.add_argument("--in-flight", type=int, nargs="*", default=[],
                       help="--vendor: the source's max_in_flight, each side by side "
                       "(1: one call at a time per worker; default: the source's default)")
    add_log_options(parser, top_level=True)
    for command in (run, serve, bench):
        add_log_options(command)
    args = parser.parse_args(argv)
    setup_logging(args.command, args.verbose, args.log_format)
    if args.command == "run":
        return run_file(args)
    if args.command == "bench":
        if args.worker_death:
            return bench_worker_death(args)
        if args.cold_start:
            from chalicelib.local.coldstart import run_cold_starts

            return _emit({"cold_start": run_cold_starts(args.repeats)}, args.out)
        if args.enrichers:
            return bench_enrichers(args)
        if args.work_cpu:
            return bench_work_cpu(args)
        if args.split_only:
            return bench_big_split(args)
        return bench_vendor(args) if args.vendor else bench_all(args)
    return serve_api(args)


def bench_all(args: argparse.Namespace) -> int:
    """Run the benchmark and print its figures."""
    import tempfile

    from chalicelib.local.bench import run_split_memory
    from chalicelib.local.coldstart import run_cold_starts
    from chalicelib.local.throughput import run_throughput

    figures: dict[str, object] = {"cold_start": run_cold_starts(args.repeats),
                                  "split_memory": run_split_memory(args.split_mb)}
    with tempfile.TemporaryDirectory() as folder:
        figures["end_to_end"] = [figure for rows in args.chunk_rows
                                 for figure in run_throughput(args.rows, Path(folder), 2, rows or None)]
    return _emit(figures, args.out)


def bench_enrichers(args: argparse.Namespace) -> int:
    """Run the enrichers' per-row benchmark and print its figures."""
    import tempfile

    from chalicelib.local.enricher_bench import run_enricher_costs

    with tempfile.TemporaryDirectory() as folder:
        figures = run_enricher_costs(args.enricher_rows, Path(folder))
    return _emit({"enrichers": figures}, args.out)


def bench_work_cpu(args: argparse.Namespace) -> int:
    """Run the in-process CPU breakdown for each size and chunk size and print its figures."""
    import tempfile

    from chalicelib.local.work_cpu import run_work_cpu

    with tempfile.TemporaryDirectory() as folder:
        figures = [run_work_cpu(rows, Path(folder), chunk_rows or None)
                   for chunk_rows in args.chunk_rows for rows in args.rows]
    return _emit({"work_cpu": figures}, args.out)


def bench_worker_death(args: argparse.Namespace) -> int:
    """Run the recovery benchmark (a worker killed mid-batch) and print its figures."""
    import tempfile

    from chalicelib.local.worker_death import run_worker_death

    with tempfile.TemporaryDirectory() as folder:
        figures = run_worker_death(args.worker_death, Path(folder))
    return _emit({"worker_death": figures}, args.out)


def bench_big_split(args: argparse.Namespace) -> int:
    """Run the big-file split benchmark (steps, a killed split) and print its figures."""
    import tempfile

    from chalicelib.local.big_split import run_big_split

    with tempfile.TemporaryDirectory() as folder:
        figures = [run_big_split(size, Path(folder)) for size in args.size_mb]
    return _emit({"big_split": figures}, args.out)


def bench_vendor(args: argparse.Namespace) -> int:
    """Run the vendor benchmark and print its figures."""
    import tempfile

    from chalicelib.local.vendor_bench import run_vendor_bench

    with tempfile.TemporaryDirectory() as folder:
        figures = run_vendor_bench([ms / 1000 for ms in args.latency_ms], args.workers,
                                   args.vendor_rows, args.limit, args.repeat_percent / 100,
                                   args.again, Path(folder),
                                   in_flight=args.in_flight or [None])
    return _emit({"vendor": figures}, args.out)


def _emit(figures: dict[str, object], out: Path | None) -> int:
    text = json.dumps(figures, indent=2)
    print(text)
    if out:
        out.write_text(text + "\n")
    return 0


def serve_api(args: argparse.Namespace) -> int:
    """Serve the REST API on host:port, the runtime working behind it, until interrupted."""
    from chalicelib.local.devserver import dev_server

    admin_key = args.admin_key or f"admin_{secrets.token_urlsafe(16)}"
    os.environ["BATCH_ENRICH_ADMIN_API_KEY"] = admin_key
    # Vendors a developer runs on this machine are reachable; private and link-local stay refused.
    os.environ.setdefault("BATCH_ENRICH_OUTBOUND_ALLOW_LOOPBACK", "true")
    runtime = LocalRuntime(emulator=Emulator(port=args.aws_port)).start()
    import app as app_module

    chalice_fixes.apply()  # route unknown paths to the service's 404, as API Gateway does
    server = dev_server(app_module.app, args.host, args.port)
    print(f"batch-enrich API:   http://{args.host}:{args.port}/v1")
    print(f"web console:        http://{args.host}:{args.port}/console")
    print(f"admin key:          {admin_key}")
    print(f"AWS emulator:       {runtime.emulator.endpoint}")
    print(f"bucket:             {get_ports().settings.bucket}", flush=True)

    def stop_when_the_runtime_fails() -> None:
        print(f"batch-enrich: {runtime.wait_failure()}; the API cannot go on. Start it again.",
              file=sys.stderr, flush=True)
        server.shutdown()

    threading.Thread(target=stop_when_the_runtime_fails, daemon=True).start()
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        runtime.stop()
    return 4 if runtime.failure else 0
